/**
 * A context's proposals (its proxy contract, emulated by the node): the active proposals with their actions and
 * approvals, the approval threshold's companion setting (active-proposals limit) and the context values.
 */
import { client } from '../lib/api.ts';
import { Card, Empty, ErrorBox, Id, Loading, RefreshButton, useAsync } from '../components/ui.tsx';

type Action = Awaited<ReturnType<typeof client.proposals.list>>[number]['actions'][number];

const text = (bytes: number[]) => new TextDecoder().decode(Uint8Array.from(bytes));

/** One action in a line: its scope and the parameters that matter. */
function actionText(a: Action): string {
  switch (a.scope) {
    case 'SetContextValue':
      return `SetContextValue ${JSON.stringify(text(a.params.key))} = ${JSON.stringify(text(a.params.value))}`;
    case 'SetNumApprovals':
      return `SetNumApprovals ${a.params.num_approvals}`;
    case 'SetActiveProposalsLimit':
      return `SetActiveProposalsLimit ${a.params.active_proposals_limit}`;
    case 'DeleteProposal':
      return `DeleteProposal ${a.params.proposal_id}`;
    case 'Transfer':
      return `Transfer ${a.params.amount} to ${a.params.receiver_id} (needs a chain)`;
    case 'ExternalFunctionCall':
      return `ExternalFunctionCall ${a.params.receiver_id}.${a.params.method_name} (needs a chain)`;
  }
}

export function ProposalsCard(props: { contextId: string }) {
  const data = useAsync(async () => {
    const api = client.proposals;
    const [list, limit, values] = await Promise.all([api.list(props.contextId, { limit: 100 }), api.count(props.contextId), api.contextStorageEntries(props.contextId)]);
    const approvals = await Promise.all(list.map((p) => api.approvers(props.contextId, p.id)));
    return { list: list.map((p, i) => ({ ...p, approvers: approvals[i]! })), limit, values };
  }, [props.contextId]);

  return (
    <Card title={`Proposals${data.data ? ` (${data.data.list.length})` : ''}`} testid="context-proposals" actions={<RefreshButton onClick={data.reload} loading={data.loading} />}>
      {data.error ? (
        <ErrorBox error={data.error} />
      ) : !data.data ? (
        <Loading what="proposals" />
      ) : (
        <>
          <p class="muted" data-testid="proposals-limit">
            At most {data.data.limit} active proposals per member.
          </p>
          {data.data.list.length ? (
            <ul class="plain">
              {data.data.list.map((p) => (
                <li key={p.id} data-testid="proposal-row" data-proposal-id={p.id}>
                  <Id value={p.id} short /> by <Id value={p.author_id} short />{' '}
                  <span class="badge" data-testid="proposal-approvals">
                    {p.approvers.length} approval{p.approvers.length === 1 ? '' : 's'}
                  </span>
                  <ul>
                    {p.actions.map((a, i) => (
                      <li key={i} data-testid="proposal-action">
                        <code>{actionText(a)}</code>
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          ) : (
            <Empty>No active proposals.</Empty>
          )}
          {data.data.values.length > 0 && <p class="muted">Context values (set by executed proposals)</p>}
          {data.data.values.length > 0 && (
            <dl class="props" data-testid="context-values">
              {data.data.values.flatMap((v, i) => [<dt key={`k${i}`}>{text(v.key)}</dt>, <dd key={`v${i}`}>{text(v.value)}</dd>])}
            </dl>
          )}
        </>
      )}
    </Card>
  );
}
