import { describe, expect, it } from 'vitest';
import {
  ContractError,
  EVENT_NAMES,
  isEventName,
  isMethodName,
  METHOD_NAMES,
  parseRequest,
} from '../../src-main/ipc/contract.js';

describe('IPC contract', () => {
  it('accepts well-formed requests and returns the parsed arguments', () => {
    expect(parseRequest('sessions.rename', { id: 3, title: '  Notes  ' })).toEqual({
      method: 'sessions.rename',
      args: { id: 3, title: 'Notes' },
    });
    expect(parseRequest('dictation.stop', undefined).args).toEqual({});
    expect(parseRequest('sessions.export', { id: 1, format: 'srt', segmentIds: [1, 2] }).args).toMatchObject({
      format: 'srt',
    });
  });

  it.each([
    ['no.such.method', {}, /unknown method "no.such.method"/],
    [42, {}, /unknown method "42"/],
    ['__proto__', {}, /unknown method/],
    ['constructor', {}, /unknown method/],
    ['sessions.get', { id: -1 }, /bad arguments for sessions.get: id:/],
    ['sessions.get', { id: 1.5 }, /id:/],
    ['sessions.get', { id: '1' }, /id:/],
    ['sessions.get', {}, /id:/],
    ['sessions.rename', { id: 1, title: '   ' }, /title: a title cannot be empty/],
    ['sessions.rename', { id: 1, title: 'x'.repeat(201) }, /title:/],
    ['sessions.export', { id: 1, format: 'docx' }, /format:/],
    ['segments.correct', { segmentId: 1, text: 'x'.repeat(10_001) }, /text:/],
    ['dictation.start', { device: 'default', extra: true }, /bad arguments for dictation.start/],
    ['sessions.list', { limit: 10_000 }, /limit:/],
    ['settings.set', { patch: 'x' }, /patch:/],
  ])('refuses %j %j', (method, args, message) => {
    expect(() => parseRequest(method, args)).toThrow(ContractError);
    expect(() => parseRequest(method, args)).toThrow(message);
  });

  it('names every method and event once', () => {
    expect(new Set(METHOD_NAMES).size).toBe(METHOD_NAMES.length);
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
    for (const m of METHOD_NAMES) expect(isMethodName(m)).toBe(true);
    for (const e of EVENT_NAMES) expect(isEventName(e)).toBe(true);
    expect(isEventName('dictation.segmentz')).toBe(false);
    expect(isMethodName('toString')).toBe(false);
  });
});
