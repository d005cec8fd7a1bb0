import type { AttuneApi, OutputStatus } from '../../../src-main/ipc/contract.js';
import type { OutputMode } from '../../../src-main/store/types.js';
import { messageOf } from './format.js';

/** The output modes, as the user reads them in Settings. */
export const OUTPUT_MODE_TEXT: Readonly<Record<OutputMode, { label: string; help: string }>> = {
  type: {
    label: 'Type into the app I am working in',
    help: 'Each phrase is typed where the cursor is as soon as you pause. Attune keeps a copy in History.',
  },
  clipboard: {
    label: 'Copy to the clipboard',
    help: "After each phrase the dictation's text is on the clipboard: paste it where you want it.",
  },
  window: {
    label: "Keep it in Attune's window",
    help: 'Nothing leaves Attune; copy the text from the Dictate page.',
  },
};

/**
 * Where finished phrases go, as the app reports it (the outputMode setting and whether it works on this
 * system), kept in step with its 'output.status' events.
 */
export class OutputModel {
  status = $state.raw<OutputStatus | null>(null);
  /** Why the status could not be read. */
  error = $state<string | null>(null);

  constructor(private readonly api: AttuneApi) {}

  /** The one message for the user: what stops the mode from working, else the last phrase that failed. */
  get message(): string | null {
    return this.status?.problem ?? this.status?.lastError ?? this.error;
  }

  /** What happens to each phrase, in words, when all is well. */
  get summary(): string | null {
    const s = this.status;
    if (!s || s.tool === null) return null;
    if (s.action === 'type') return `Phrases are typed where the cursor is (with ${s.tool}).`;
    if (s.action === 'copy') return `The dictation's text is copied to the clipboard (with ${s.tool}).`;
    return null;
  }

  /** Subscribes to the app's reports and reads the current one; returns the unsubscribe. */
  connect(): () => void {
    let reported = false;
    const off = this.api.on('output.status', (s) => {
      reported = true;
      this.status = s;
    });
    this.api
      .call('output.status', {})
      .then((s) => {
        // An event that came meanwhile is newer than this answer.
        if (!reported) this.status = s;
      })
      .catch((err: unknown) => (this.error = messageOf(err)));
    return off;
  }
}
