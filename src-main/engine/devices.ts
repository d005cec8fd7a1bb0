// Capture devices the user can pick from. On Linux these are ALSA PCM names as `arecord -L` lists them;
// the chosen id goes to Capture's `device` unchanged.
//
// macOS and Windows (best effort): sox cannot enumerate devices, so only the system default input is listed;
// the user picks the microphone in the system's sound settings. Any other `device` goes to sox's coreaudio /
// waveaudio driver as is; coreaudio picks the first device whose name it prefixes.

import { execFile } from 'node:child_process';
import { CaptureError, type RecorderChoice, resolveRecorder } from './capture.js';

export interface CaptureDevice {
  /** What to pass as CaptureConfig.device: an ALSA PCM name such as 'default' or 'plughw:CARD=PCH,DEV=0'. */
  id: string;
  /** Human-readable description (the lines arecord prints under the name, joined with ', '). */
  description: string;
}

export interface ListDevicesOptions {
  recorder?: RecorderChoice; // 'auto'
  /** The arecord program (Linux): a name on PATH or a full path. */
  recorderPath?: string; // 'arecord'
  /** Extra environment for arecord, over this process's (the same ALSA override a Capture would use). */
  env?: Record<string, string>;
  platform?: NodeJS.Platform; // process.platform
  timeoutMs?: number; // 5000
}

const DEFAULT_DEVICE: CaptureDevice = { id: 'default', description: 'System default capture device' };
/** ALSA's "null" PCM produces silence only: never a useful microphone. */
const HIDDEN = new Set(['null']);

/** Lists capture devices, the system default first. */
export async function listDevices(opts: ListDevicesOptions = {}): Promise<CaptureDevice[]> {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux') return [DEFAULT_DEVICE];
  // sox on Linux records through ALSA as well, so arecord's list applies to both recorders.
  const cmd =
    resolveRecorder(opts.recorder ?? 'auto', platform) === 'arecord' ? opts.recorderPath : undefined;
  const text = await runArecordList(cmd ?? 'arecord', opts);
  return withDefaultFirst(parseArecordList(text));
}

/**
 * Parses `arecord -L`: each device is a line with its name in the first column, followed by indented
 * description lines, e.g.
 *   default:CARD=PCH
 *       HDA Intel PCH, ALC3246 Analog
 *       Default Audio Device
 */
export function parseArecordList(text: string): CaptureDevice[] {
  const devices: CaptureDevice[] = [];
  const lines: string[] = [];
  const flush = (id: string | undefined) => {
    if (id !== undefined && !HIDDEN.has(id)) devices.push({ id, description: lines.join(', ') });
    lines.length = 0;
  };
  let id: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (/^\s/.test(line)) {
      lines.push(line.trim());
    } else {
      flush(id);
      id = line.trim();
    }
  }
  flush(id);
  return devices;
}

/** ALSA always has a 'default' PCM, but arecord -L omits it when the configuration aliases it to another. */
function withDefaultFirst(devices: CaptureDevice[]): CaptureDevice[] {
  const found = devices.find((d) => d.id === 'default');
  const rest = devices.filter((d) => d.id !== 'default');
  return [found && found.description ? found : DEFAULT_DEVICE, ...rest];
}

function runArecordList(cmd: string, opts: ListDevicesOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      ['-L'],
      {
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
        timeout: opts.timeoutMs ?? 5000,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          return reject(
            new CaptureError(
              'NO_RECORDER',
              `cannot list capture devices: ${cmd} not found ` +
                '(arecord comes with the alsa-utils package: `apt-get install alsa-utils`)',
              { cause: err },
            ),
          );
        }
        const said = stderr.trim().split('\n').at(-1) || err.message;
        reject(new CaptureError('RECORDER_FAILED', `\`${cmd} -L\` failed: ${said}`, { cause: err }));
      },
    );
  });
}
