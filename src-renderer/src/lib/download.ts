import type { ExportResult } from '../../../src-main/ipc/contract.js';

/**
 * Hands an export to the user. The desktop app has already saved it through its save dialog (savedTo); in
 * the browser the file is offered as a download. Returns what to tell the user.
 */
export function deliverExport(result: ExportResult, doc: Document = document): string {
  if (result.savedTo !== null) return `Saved to ${result.savedTo}`;
  if (result.cancelled) return 'Export cancelled: nothing was saved';
  const url = URL.createObjectURL(new Blob([result.content], { type: result.mimeType }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = result.fileName;
  a.hidden = true;
  doc.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once started; free the blob soon after.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return `Downloaded ${result.fileName}`;
}
