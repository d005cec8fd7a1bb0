import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { type AttuneApi, type EventName, isEventName, isMethodName } from '../ipc/contract.js';

/**
 * The renderer's only door to the app: `window.attune`, exposing named functions, never
 * ipcRenderer itself. Method and event names are checked against the contract here too, so a
 * compromised page cannot reach any other channel.
 */
const CALL = 'attune:call';
const EVENT = 'attune:event';

const api: AttuneApi = {
  async call(method, args) {
    if (!isMethodName(method)) throw new Error(`unknown method ${String(method)}`);
    // Main answers with an envelope so the error's code and message arrive intact.
    const reply = (await ipcRenderer.invoke(CALL, method, args)) as
      { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };
    if (reply.ok) return reply.result as never;
    throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  },
  on(event, listener) {
    if (!isEventName(event)) throw new Error(`unknown event ${String(event)}`);
    const handler = (_e: IpcRendererEvent, name: EventName, payload: unknown) => {
      if (name === event) (listener as (p: unknown) => void)(payload);
    };
    ipcRenderer.on(EVENT, handler);
    return () => {
      ipcRenderer.removeListener(EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('attune', api);
