/**
 * A context's open invitations: the ones this node signed (valid, expired or revoked, who joined with each), a
 * form to sign a new one as an owned member, and revocation — this node signs every join made with its open
 * invitations, so a revoked one is refused from then on.
 */
import { useState } from 'preact/hooks';
import { client } from '../lib/api.ts';
import { formatTime } from '../lib/format.ts';
import { Card, ConfirmButton, Empty, ErrorBox, Field, Id, MemberSelect, Loading, RefreshButton, Success, useAction, useAsync, val } from '../components/ui.tsx';

type Issued = Awaited<ReturnType<typeof client.openInvitations>>[number];

function stateOf(i: Issued, now: number): { label: string; cls: string } {
  if (i.revokedAt !== null) return { label: 'revoked', cls: 'badge-danger' };
  if (i.expiresAt <= now) return { label: 'expired', cls: '' };
  return { label: 'valid', cls: 'badge-ok' };
}

/** The invitation JSON to hand over (what `join_by_open_invitation` and the Join card take). */
const invitationText = (i: Issued['invitation']) => JSON.stringify(i);

export function OpenInvitationsCard(props: { contextId: string; owned: string[] }) {
  const list = useAsync(() => client.openInvitations(props.contextId), [props.contextId]);
  const [inviter, setInviter] = useState('');
  const [hours, setHours] = useState('24');
  const [shown, setShown] = useState<string | null>(null);
  const action = useAction();
  const from = inviter || props.owned[0] || '';
  const now = Date.now();

  const create = async (e: Event) => {
    e.preventDefault();
    const seconds = Math.round(Number(hours) * 3600);
    const signed = await action.run(async () => {
      if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('The lifetime must be a positive number of hours.');
      const s = await client.inviteByOpenInvitation(props.contextId, from, seconds);
      if (s === null) throw new Error('This node does not know the context.');
      return s;
    });
    if (signed) {
      setShown(invitationText(signed));
      list.reload();
    }
  };

  return (
    <Card
      title={`Open invitations${list.data ? ` (${list.data.length})` : ''}`}
      testid="open-invitations"
      actions={<RefreshButton onClick={list.reload} loading={list.loading} />}
    >
      {props.owned.length > 0 && (
        <form class="form" onSubmit={create} data-testid="open-invitation-form">
          <MemberSelect id="open-invite-as" label="Sign as" members={props.owned} value={from} onChange={setInviter} />
          <Field id="open-invite-hours" label="Valid for (hours)" hint="Anyone holding the invitation may join until then.">
            <input id="open-invite-hours" data-testid="open-invitation-hours" type="number" min="0.01" step="any" value={hours} onInput={(e) => setHours(val(e))} />
          </Field>
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={action.busy} data-testid="open-invitation-create">
              {action.busy ? 'Signing…' : 'Create open invitation'}
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={action.error} testid="open-invitation-error" title="Open invitation failed" />
      {shown && (
        <Success testid="open-invitation-json">
          Open invitation (paste it into Contexts → Join a context on the joining node):
          <textarea readOnly rows={4} value={shown} onFocus={(e) => (e.currentTarget as HTMLTextAreaElement).select()} />
        </Success>
      )}
      {list.error ? (
        <ErrorBox error={list.error} />
      ) : !list.data ? (
        <Loading what="open invitations" />
      ) : list.data.length ? (
        <ul class="plain">
          {list.data.map((i) => {
            const st = stateOf(i, now);
            return (
              <li key={i.salt} data-testid="open-invitation-row" data-salt={i.salt} data-state={st.label}>
                <span class={`badge ${st.cls}`}>{st.label}</span> by <Id value={i.inviterId} short />, until {formatTime(i.expiresAt)},{' '}
                <span data-testid="open-invitation-joined">
                  {i.joinedCount} joined
                </span>{' '}
                <button type="button" class="btn btn-small" onClick={() => setShown(invitationText(i.invitation))}>
                  Show
                </button>{' '}
                {i.revokedAt === null && i.expiresAt > now && (
                  <ConfirmButton
                    small
                    label="Revoke"
                    testid="open-invitation-revoke"
                    onConfirm={async () => {
                      await action.run(() => client.revokeOpenInvitation(props.contextId, i.salt));
                      list.reload();
                    }}
                  />
                )}
                {i.joined.length > 0 && (
                  <ul>
                    {i.joined.map((j) => (
                      <li key={j.memberPublicKey}>
                        <Id value={j.memberPublicKey} short /> at {formatTime(j.at)}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ul>
      ) : (
        <Empty>This node signed no open invitation for this context.</Empty>
      )}
    </Card>
  );
}
