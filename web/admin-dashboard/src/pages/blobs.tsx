/** Blobs: list, upload, download, delete. */
import { useState } from 'preact/hooks';
import { client, type BlobInfo } from '../lib/api.ts';
import { formatBytes } from '../lib/format.ts';
import { Card, ConfirmButton, Empty, ErrorBox, Field, Id, Loading, PageHead, RefreshButton, Success, useAction, useAsync } from '../components/ui.tsx';

async function save(id: string): Promise<void> {
  const blob = new Blob([(await client.downloadBlob(id)) as Uint8Array<ArrayBuffer>]);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = id;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function BlobsPage() {
  const blobs = useAsync(() => client.listBlobs());
  const action = useAction();
  const [file, setFile] = useState<File | null>(null);
  const [uploaded, setUploaded] = useState<BlobInfo | null>(null);

  return (
    <div class="page">
      <PageHead title="Blobs" subtitle="Content-addressed files stored by the node (application bytecode, uploads)." actions={<RefreshButton onClick={blobs.reload} loading={blobs.loading} />} />
      <Card title="Upload a blob">
        <form
          class="form inline-form"
          onSubmit={async (e) => {
            e.preventDefault();
            if (!file) return;
            setUploaded(null);
            const r = await action.run(() => client.uploadBlob(file));
            if (r) {
              setUploaded(r);
              blobs.reload();
            }
          }}
        >
          <Field id="blob-file" label="File">
            <input id="blob-file" data-testid="blob-file" type="file" required onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
          </Field>
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled={!file || action.busy} data-testid="blob-upload">
              {action.busy ? 'Working…' : 'Upload'}
            </button>
          </div>
        </form>
        {uploaded && (
          <Success testid="blob-uploaded">
            Stored <code>{uploaded.blob_id}</code> ({formatBytes(uploaded.size)}).
          </Success>
        )}
      </Card>
      <ErrorBox error={action.error} />
      <Card title={`Blobs${blobs.data ? ` (${blobs.data.length})` : ''}`} testid="blobs-card">
        {blobs.loading && !blobs.data ? (
          <Loading />
        ) : blobs.error ? (
          <ErrorBox error={blobs.error} />
        ) : blobs.data && blobs.data.length ? (
          <div class="table-wrap">
            <table data-testid="blobs-table">
              <thead>
                <tr>
                  <th scope="col">Blob id</th>
                  <th scope="col">Size</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {blobs.data.map((b) => (
                  <tr key={b.blob_id} data-testid="blob-row">
                    <td data-label="Blob id">
                      <Id value={b.blob_id} />
                    </td>
                    <td data-label="Size" class="nowrap">{formatBytes(b.size)}</td>
                    <td class="actions">
                      <button type="button" class="btn btn-small" onClick={() => void action.run(() => save(b.blob_id))}>
                        Download
                      </button>
                      <ConfirmButton
                        small
                        label="Delete"
                        disabled={action.busy}
                        onConfirm={async () => {
                          await action.run(() => client.deleteBlob(b.blob_id));
                          blobs.reload();
                        }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <Empty>No blobs.</Empty>
        )}
      </Card>
    </div>
  );
}
