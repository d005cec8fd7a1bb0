import { describe, expect, it } from 'vitest';
import { INDICATOR_FRAGMENT, isRendererPage, rendererPageUrl } from '../../src-main/app/renderer-page.js';

// Install folders people really have: spaces, '#', '?', '%' (alone and before hex digits), non-ASCII.
const AWKWARD = [
  '/opt/My Apps/Attune/src-renderer/dist/index.html',
  '/home/ana/C# projects/attune/index.html',
  '/home/ana/what?/attune/index.html',
  '/home/ana/100% sure/attune/index.html',
  '/home/ana/a%41b/attune/index.html',
  '/home/ana/%2e%2e/attune/index.html',
  '/home/Åsa/Program {x} [y]/attune/index.html',
];

describe('renderer page address', () => {
  it.each(AWKWARD)('is a file URL that reads back as the same file: %s', (file) => {
    const url = rendererPageUrl(file);
    const parsed = new URL(url);
    expect(parsed.protocol).toBe('file:');
    expect(parsed.search).toBe('');
    expect(parsed.hash).toBe('');
    // Already canonical: the browser has nothing to re-spell.
    expect(parsed.href).toBe(url);
    expect(decodeURIComponent(parsed.pathname)).toBe(file);
    expect(isRendererPage(url, file)).toBe(true);
  });

  it('is what the old construction got wrong', () => {
    const file = '/home/ana/C# projects/attune/index.html';
    expect(new URL(`file://${file}`).pathname).toBe('/home/ana/C');
    expect(isRendererPage(new URL(`file://${file}`).href, file)).toBe(false);
  });

  it('accepts the page however the browser spells its address', () => {
    const file = '/home/Åsa/Program {x}/a%41b/index.html';
    expect(isRendererPage('file:///home/%C3%85sa/Program%20%7Bx%7D/a%2541b/index.html', file)).toBe(true);
    expect(isRendererPage('file:///home/%C3%85sa/Program%20{x}/a%2541b/index.html', file)).toBe(true);
    expect(isRendererPage('file://localhost/home/%C3%85sa/Program%20{x}/a%2541b/index.html', file)).toBe(
      true,
    );
  });

  it.each([
    ['another file beside it', 'file:///opt/attune/other.html'],
    ['its folder', 'file:///opt/attune/'],
    ['escaped dot segments that lead elsewhere', 'file:///opt/attune/x/%2e%2e/%2e%2e/index.html'],
    ['an escaped slash', 'file:///opt%2Fattune/index.html'],
    ['a query', 'file:///opt/attune/index.html?x=1'],
    ['a fragment', 'file:///opt/attune/index.html#/settings'],
    ['another host', 'file://evil.example/opt/attune/index.html'],
    ['http', 'http://127.0.0.1/opt/attune/index.html'],
    ['the audio protocol', 'attune-audio://clip/opt/attune/index.html'],
    ['no address', undefined],
    ['an empty one', ''],
    ['no URL at all', '/opt/attune/index.html'],
  ])('refuses %s', (_what, url) => {
    expect(isRendererPage(url, '/opt/attune/index.html')).toBe(false);
  });

  it("admits the indicator's page with its own fragment, and only that one", () => {
    const file = '/home/ana/C# projects/attune/index.html';
    const url = rendererPageUrl(file, INDICATOR_FRAGMENT);
    expect(new URL(url).hash).toBe('#view=indicator');
    expect(isRendererPage(url, file, INDICATOR_FRAGMENT)).toBe(true);
    // The main window's check admits no fragment, and the indicator's no other one.
    expect(isRendererPage(url, file)).toBe(false);
    expect(isRendererPage(rendererPageUrl(file), file, INDICATOR_FRAGMENT)).toBe(false);
    expect(isRendererPage(`${rendererPageUrl(file)}#view=other`, file, INDICATOR_FRAGMENT)).toBe(false);
    expect(
      isRendererPage(`${rendererPageUrl(file)}?x=1${INDICATOR_FRAGMENT}`, file, INDICATOR_FRAGMENT),
    ).toBe(false);
  });
});
