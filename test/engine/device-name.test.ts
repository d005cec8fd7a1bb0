// Capture device names the recorder would misread are refused wherever a name enters: the setting, the IPC
// contract, Capture itself. Real names (ALSA, CoreAudio, waveaudio) pass.
import { describe, expect, it } from 'vitest';
import { Capture, CaptureError, recorderCommand } from '../../src-main/engine/capture.js';
import { deviceNameProblem } from '../../src-main/engine/device-name.js';
import { ContractError, parseRequest } from '../../src-main/ipc/contract.js';
import { StoreError } from '../../src-main/store/errors.js';
import { openTestStore } from '../store/store-helpers.js';

const GOOD = [
  'default',
  'plughw:CARD=PCH,DEV=0',
  'sysdefault:CARD=Generic',
  'hw:1,0',
  'MacBook Pro Microphone',
  "Jane's AirPods (2)",
  'Microphone (Realtek High Definition Audio)',
  'a-name-with-dashes',
];
const BAD = [
  '-n',
  '--help',
  '-d',
  '-',
  '|rm -rf ~',
  '|sox -n -p synth',
  'mic\nname',
  'tab\there',
  'nul\u0000',
];

describe('capture device names', () => {
  it('accepts real device names', () => {
    for (const name of GOOD) expect(deviceNameProblem(name), name).toBeNull();
  });

  it('refuses names the recorder would read as an option or a command, naming the value and why', () => {
    for (const name of BAD) {
      const problem = deviceNameProblem(name);
      expect(problem, name).toContain(JSON.stringify(name));
      expect(problem).toMatch(/may not begin with "-" \(sox and arecord would read it as an option\)/);
    }
    expect(deviceNameProblem('  ')).toBe('a capture device name cannot be empty');
  });

  it('the device setting refuses them, and keeps the value it had', () => {
    const t = openTestStore();
    try {
      t.store.settings.set('device', 'plughw:CARD=PCH,DEV=0');
      for (const name of ['-n', ' -n', '|cat /dev/urandom']) {
        let caught: unknown;
        try {
          t.store.settings.set('device', name);
        } catch (err) {
          caught = err;
        }
        expect(caught, name).toBeInstanceOf(StoreError);
        expect((caught as StoreError).message).toMatch(
          /^setting device cannot be .*: a capture device name may not begin with "-"/,
        );
      }
      expect(t.store.settings.get('device')).toBe('plughw:CARD=PCH,DEV=0');
      for (const name of GOOD) t.store.settings.set('device', name);
    } finally {
      t.dispose();
    }
  });

  it('the IPC contract refuses them for dictation and the microphone test', () => {
    for (const method of ['dictation.start', 'devices.test'] as const) {
      expect(() => parseRequest(method, { device: '-n' })).toThrow(ContractError);
      expect(() => parseRequest(method, { device: '-n' })).toThrow(
        /device: a capture device name may not begin/,
      );
      expect(parseRequest(method, { device: 'hw:1,0' }).args).toMatchObject({ device: 'hw:1,0' });
    }
  });

  it('Capture refuses them before any recorder is started, on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const)
      for (const recorder of ['sox', 'auto'] as const)
        expect(() =>
          recorderCommand({ sampleRate: 16000, channels: 1, device: '-n', recorder }, platform),
        ).toThrow(/capture device "-n": a device name may not begin with "-"/);
    let caught: unknown;
    try {
      new Capture({ device: '|sox -n -p synth', recorder: 'sox' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CaptureError);
    expect((caught as CaptureError).code).toBe('BAD_CONFIG');
  });
});
