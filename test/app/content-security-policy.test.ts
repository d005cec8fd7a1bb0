import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../../src-main/app-root.js';
import { RENDERER_CSP } from '../../src-main/app/content-security-policy.js';
import { type Handlers, Router } from '../../src-main/app/router.js';
import { startWebShell } from '../../src-main/app/web-shell.js';

const INDEX_HTML = join(appRoot(), 'src-renderer', 'index.html');

/** directive name → its source expressions */
function directives(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) map.set(name.toLowerCase(), sources);
  }
  return map;
}

/** The policy of index.html's <meta http-equiv> tag, and where the tag stands in the file. */
function metaPolicy(html: string): { policy: string; at: number } {
  const tag = /<meta\s[^>]*http-equiv="Content-Security-Policy"[^>]*>/i.exec(html);
  expect(tag, 'index.html has a Content-Security-Policy <meta> tag').not.toBeNull();
  const content = /\scontent="([^"]*)"/.exec(tag![0]);
  expect(content).not.toBeNull();
  return { policy: content![1], at: tag!.index };
}

describe('the renderer content security policy', () => {
  it('is what index.html carries, before any script or style', () => {
    const html = readFileSync(INDEX_HTML, 'utf8');
    const { policy, at } = metaPolicy(html);
    expect(policy).toBe(RENDERER_CSP);
    expect(html.match(/http-equiv="Content-Security-Policy"/gi)).toHaveLength(1);
    for (const later of ['<script', '<link', '<style']) {
      const i = html.indexOf(later);
      if (i >= 0) expect(at).toBeLessThan(i);
    }
  });

  it('allows no inline or evaluated script and no remote origin', () => {
    const d = directives(RENDERER_CSP);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    // Every source the policy names, by directive: the page's own files and nothing from elsewhere.
    const allowedExtra: Record<string, string[]> = {
      'img-src': ['data:'],
      'media-src': ['attune-audio:'],
      'connect-src': ['ws://127.0.0.1:*'],
    };
    for (const [name, sources] of d) {
      for (const s of sources) {
        expect(["'self'", "'none'", ...(allowedExtra[name] ?? [])], `${name} ${s}`).toContain(s);
      }
    }
    expect(RENDERER_CSP).not.toMatch(/unsafe-|nonce-|sha\d+-/);
  });

  it('holds only directives a <meta> tag can carry', () => {
    for (const name of directives(RENDERER_CSP).keys()) {
      expect(['frame-ancestors', 'report-uri', 'report-to', 'sandbox']).not.toContain(name);
    }
  });

  it("blocks nothing the browser shell's own header allows (browsers enforce both)", async () => {
    const shell = await startWebShell({
      router: new Router({} as Handlers),
      staticDir: join(appRoot(), 'no-such-renderer'),
      segmentAudio: () => Promise.reject(new Error('no clips here')),
    });
    try {
      const header = (await fetch(`${shell.origin}/`)).headers.get('content-security-policy')!;
      const page = directives(RENDERER_CSP);
      const fetchDirective = (name: string) => name.endsWith('-src');
      for (const [name, sources] of directives(header)) {
        if (name === 'frame-ancestors') continue; // not a <meta> directive
        const ours = page.get(name) ?? (fetchDirective(name) ? page.get('default-src') : undefined);
        expect(ours, name).toBeDefined();
        for (const s of sources.filter((x) => x !== "'none'")) {
          const wildPort = s.replace(/:\d+$/, ':*');
          expect(ours!.includes(s) || ours!.includes(wildPort), `${name} ${s}`).toBe(true);
        }
      }
    } finally {
      await shell.close();
    }
  });
});
