import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { expectStoreError, openTestStore, type TestStore } from './store-helpers.js';

let t: TestStore | undefined;
afterEach(() => t?.dispose());

describe('settings', () => {
  it('reads defaults until set, keeps what was set across reopening, and resets', () => {
    t = openTestStore();
    expect(t.store.settings.all()).toEqual({
      keepAudio: true,
      trashRetentionDays: 30,
      exportFormat: 'txt',
      hotkey: 'CommandOrControl+Shift+Space',
      device: 'default',
      disabledCommands: [],
      autoTrain: true,
      autoTrainAfter: 20,
      lexiconBoost: true,
      languageModel: true,
      replayMargin: 0.1,
      enrolmentDeclined: false,
      outputMode: 'type',
    });
    t.store.settings.set('keepAudio', false);
    t.store.settings.set('exportFormat', 'srt');
    t.store.settings.set('trashRetentionDays', 7);
    const store = t.reopen();
    expect(store.settings.all()).toMatchObject({
      keepAudio: false,
      trashRetentionDays: 7,
      exportFormat: 'srt',
    });
    store.settings.reset('exportFormat');
    expect(store.settings.get('exportFormat')).toBe('txt');
  });

  it('takes the keepAudio default from the store config', () => {
    t = openTestStore({ keepAudio: false });
    expect(t.store.settings.get('keepAudio')).toBe(false);
  });

  it('refuses unknown keys and values that do not fit', () => {
    t = openTestStore();
    const settings = t.store.settings;
    expectStoreError(
      () => settings.get('colour' as never),
      'BAD_ARGUMENT',
      'unknown setting "colour"',
      'keepAudio',
    );
    expectStoreError(() => settings.set('keepAudio', 'yes' as never), 'BAD_ARGUMENT', 'keepAudio');
    expectStoreError(() => settings.set('trashRetentionDays', 1.5), 'BAD_ARGUMENT', 'trashRetentionDays');
    expectStoreError(() => settings.set('trashRetentionDays', -1), 'BAD_ARGUMENT', 'trashRetentionDays');
    expectStoreError(() => settings.set('exportFormat', 'docx' as never), 'BAD_ARGUMENT', 'exportFormat');
    expectStoreError(() => settings.set('autoTrainAfter', 0), 'BAD_ARGUMENT', 'autoTrainAfter');
    expectStoreError(
      () => settings.set('__proto__' as never, true as never),
      'BAD_ARGUMENT',
      'unknown setting',
    );
    expect(settings.all()).toEqual({
      keepAudio: true,
      trashRetentionDays: 30,
      exportFormat: 'txt',
      hotkey: 'CommandOrControl+Shift+Space',
      device: 'default',
      disabledCommands: [],
      autoTrain: true,
      autoTrainAfter: 20,
      lexiconBoost: true,
      languageModel: true,
      replayMargin: 0.1,
      enrolmentDeclined: false,
      outputMode: 'type',
    });
  });

  it('keeps where finished phrases go across reopening, refusing modes it does not know', () => {
    t = openTestStore();
    expect(t.store.settings.get('outputMode')).toBe('type');
    t.store.settings.set('outputMode', 'clipboard');
    expect(t.reopen().settings.get('outputMode')).toBe('clipboard');
    for (const bad of ['paste', '', 'TYPE', 1, null]) {
      expectStoreError(
        () => t!.store.settings.set('outputMode', bad as never),
        'BAD_ARGUMENT',
        'setting outputMode cannot be',
      );
    }
    expect(t.store.settings.get('outputMode')).toBe('clipboard');
    t.store.settings.set('outputMode', 'window');
    expect(t.reopen().settings.get('outputMode')).toBe('window');
  });

  it("keeps the replay margin within 2 % to 100 % of the base model's word error rate", () => {
    t = openTestStore();
    const settings = t.store.settings;
    expect(settings.get('replayMargin')).toBe(0.1);
    settings.set('replayMargin', 0.25);
    expect(t.reopen().settings.get('replayMargin')).toBe(0.25);
    for (const bad of [0.01, 1.5, -0.1, Number.NaN, '0.1']) {
      expectStoreError(
        () => t!.store.settings.set('replayMargin', bad as never),
        'BAD_ARGUMENT',
        'replayMargin',
      );
    }
    expect(t.store.settings.get('replayMargin')).toBe(0.25);
  });

  it('reads a stored value that no longer fits (written by another version) as the default', () => {
    t = openTestStore();
    const db = new Database(t.store.info.file);
    db.prepare(`INSERT INTO settings (key, value) VALUES ('trashRetentionDays', '"forever"')`).run();
    db.close();
    expect(t.store.settings.get('trashRetentionDays')).toBe(30);
  });
});
