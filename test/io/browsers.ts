import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

/**
 * One interface over the browsers the report is tested in, so its checks are written once: Debian's
 * chromium and firefox-esr driven by puppeteer-core (CDP and WebDriver BiDi), and WebKitGTK's MiniBrowser
 * (Safari's engine) through WebKitWebDriver (WebDriver classic) with selenium-webdriver. None downloads a
 * browser or a driver. Coordinates are CSS pixels in the viewport.
 */
export interface Driver {
  /** Opens a URL and waits for its load event. */
  goto(url: string): Promise<void>;
  /** fn(arg), run in the page: fn must not use anything outside its own text. */
  eval<A, R>(fn: (arg: A) => R, arg: A): Promise<R>;
  click(selector: string): Promise<void>;
  press(key: Key): Promise<void>;
  /** The mouse moves to (x, y), then the wheel turns by deltaY pixels (negative: up). */
  wheel(x: number, y: number, deltaY: number): Promise<void>;
  /** Left button down at `from`, moved in `steps` steps to `to`, released there. */
  drag(from: Point, to: Point, steps: number): Promise<void>;
  /** Console errors, uncaught exceptions and requests for anything but file:// seen so far, one line each. */
  problems(): Promise<string[]>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}
export type Key = 'ArrowRight' | 'Escape' | 't' | '0';
export type Point = readonly [number, number];
export const VIEWPORT = { width: 1280, height: 860 };

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
export const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find(existsSync);
export const WEBKIT_DRIVER = ['/usr/bin/WebKitWebDriver'].find(existsSync);
export const MINIBROWSER = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/libexec/webkit2gtk-4.1/MiniBrowser',
].find(existsSync);
export const XVFB = ['/usr/bin/Xvfb'].find(existsSync);

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * Debian's Chromium, headless, through puppeteer-core, with a HOME of its own (removed by the caller, or left
 * to the temporary folder): the launch the approval, serve and runner-report tests share.
 */
export async function launchChromium(): Promise<{
  browser: import('puppeteer-core').Browser;
  home: string;
}> {
  const { default: puppeteer } = await import('puppeteer-core');
  const home = mkdtempSync(path.join(tmpdir(), 'nl-chrome-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    env: { ...process.env, HOME: home },
  });
  return { browser, home };
}

/**
 * Chromium (CDP) or Firefox (WebDriver BiDi) through puppeteer-core. Errors: console and page-error events,
 * from before the page's first script. Requests: the page's request events (Firefox's BiDi reports no
 * file:// load, but does report http(s) ones: fetch, images, style sheets; an http image on a file:// page
 * is blocked there before any request, so it fails to load and the image count catches it). No proxy: both
 * browsers make requests of their own, which a proxy could not tell from the page's.
 */
export async function puppeteerDriver(which: 'chrome' | 'firefox'): Promise<Driver> {
  const { default: puppeteer } = await import('puppeteer-core');
  const home = mkdtempSync(path.join(tmpdir(), `nl-${which}-`));
  const browser = await puppeteer
    .launch({
      browser: which,
      executablePath: which === 'chrome' ? CHROMIUM : FIREFOX,
      headless: true,
      defaultViewport: VIEWPORT,
      args: which === 'chrome' ? CHROMIUM_ARGS : [],
      env: { ...process.env, HOME: home },
    })
    .catch((e: unknown) => {
      rmSync(home, { recursive: true, force: true });
      throw e;
    });
  const seen: string[] = [];
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && seen.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => seen.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  // data: URLs leave nothing: Firefox ESR reports its own built-in font, loaded as a data: URL, as a request.
  const local = (url: string) => url.startsWith('file://') || url.startsWith('data:');
  page.on('request', (r) => !local(r.url()) && seen.push(`request: ${r.url()}`));
  return {
    goto: async (url) => void (await page.goto(url, { waitUntil: 'load' })),
    eval: (fn, arg) => page.evaluate(fn as (a: unknown) => never, arg),
    click: (selector) => page.click(selector),
    press: (key) => page.keyboard.press(key),
    wheel: async (x, y, deltaY) => {
      await page.mouse.move(x, y);
      await page.mouse.wheel({ deltaY });
    },
    drag: async (from, to, steps) => {
      await page.mouse.move(...from);
      await page.mouse.down();
      await page.mouse.move(...to, { steps });
      await page.mouse.up();
    },
    problems: async () => [...seen],
    screenshot: async (file) => void (await page.screenshot({ path: file })),
    close: async () => {
      try {
        await browser.close();
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

/** A child process's first line on a stream, or null once it exits. */
async function firstLine(child: ChildProcess, stream: NodeJS.ReadableStream): Promise<string | null> {
  let text = '';
  return new Promise((resolve) => {
    stream.on('data', (b: Buffer) => {
      text += b;
      if (text.includes('\n')) resolve(text.split('\n')[0]);
    });
    child.on('exit', () => resolve(null));
  });
}

/** A private X server for MiniBrowser (WebKitGTK has no headless mode): its display, e.g. ':3'. */
async function xvfb(): Promise<{ display: string; proc: ChildProcess }> {
  const proc = spawn(XVFB!, ['-displayfd', '3', '-screen', '0', '1400x1000x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const n = await firstLine(proc, proc.stdio[3] as NodeJS.ReadableStream);
  if (n === null) throw new Error('Xvfb did not start');
  return { display: `:${n.trim()}`, proc };
}

/** A proxy that answers nothing and records every request it is asked for: the browser's only way out. */
async function recordingProxy(seen: string[]): Promise<Server> {
  const proxy = createServer((q, s) => {
    seen.push(`request: ${q.url}`);
    s.writeHead(502).end();
  });
  proxy.on('connect', (q, socket) => {
    seen.push(`request: CONNECT ${q.url}`);
    socket.destroy();
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return proxy;
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  s.close();
  return port;
}

/** Polls the driver's /status until it answers (at most 10 s). */
async function driverReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/status`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`WebKitWebDriver did not answer at ${url}`);
}

/**
 * Installed after each load (WebDriver classic cannot run a script before the page's own): records console
 * errors, uncaught exceptions, unhandled rejections and failed loads from then on in window.__problems.
 */
function installHooks(): void {
  const w = window as unknown as { __problems?: string[] };
  if (w.__problems) return;
  const seen: string[] = (w.__problems = []);
  const error = console.error.bind(console);
  console.error = (...a: unknown[]) => {
    seen.push(`console: ${a.join(' ')}`);
    error(...a);
  };
  addEventListener(
    'error',
    (e: Event) =>
      seen.push(
        e instanceof ErrorEvent
          ? `page error: ${e.message}`
          : `failed load: ${(e.target as HTMLImageElement).src}`,
      ),
    true,
  );
  addEventListener('unhandledrejection', (e) =>
    seen.push(`page error: unhandled rejection ${String(e.reason)}`),
  );
}

const KEYS = { ArrowRight: '\uE014', Escape: '\uE00C', t: 't', '0': '0' } as const;

/** WebKitWebDriver on a free port, on its own X display, with a temporary HOME for MiniBrowser's files. */
async function webkitDriverProcess(
  display: string,
  home: string,
): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const env = { ...process.env, DISPLAY: display, HOME: home };
  const proc = spawn(WEBKIT_DRIVER!, [`--port=${port}`], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await driverReady(url).catch(async (e: unknown) => {
    await stop(proc);
    throw e;
  });
  return { url, proc };
}

/** MiniBrowser's window sized so that its viewport is VIEWPORT. */
async function webkitSession(url: string, proxyPort: number) {
  const { Builder } = await import('selenium-webdriver');
  const args = ['--automation', `--proxy=http://127.0.0.1:${proxyPort}`];
  const caps = { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args } };
  const driver = await new Builder().usingServer(url).withCapabilities(caps).build();
  const window = driver.manage().window();
  await window.setRect({ x: 0, y: 0, ...VIEWPORT });
  const inner = await driver.executeScript<number>('return innerHeight');
  await window.setRect({ height: VIEWPORT.height * 2 - inner });
  return driver;
}

/** Ends a child process and waits for it (SIGKILL after 3 s). */
async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  const kill = setTimeout(() => proc.kill('SIGKILL'), 3000);
  proc.kill('SIGTERM');
  await exited;
  clearTimeout(kill);
}

/**
 * WebKitGTK's MiniBrowser through WebKitWebDriver (WebDriver classic, no BiDi in Debian's 2.50 build), on a
 * private Xvfb display. Requests: every http(s) request goes to a recording proxy. Errors: hooks installed
 * after each load (see installHooks); an error thrown while the page loads is not seen by them.
 */
export async function webkitDriver(): Promise<Driver> {
  const { By, Origin } = await import('selenium-webdriver');
  const seen: string[] = [];
  const x = await xvfb();
  const proxy = await recordingProxy(seen);
  const home = mkdtempSync(path.join(tmpdir(), 'nl-webkit-'));
  const wd = await webkitDriverProcess(x.display, home).catch(async (e: unknown) => {
    await stop(x.proc);
    proxy.close();
    rmSync(home, { recursive: true, force: true });
    throw e;
  });
  const end = async () => {
    proxy.close();
    await stop(wd.proc);
    await stop(x.proc);
    rmSync(home, { recursive: true, force: true });
  };
  const driver = await webkitSession(wd.url, (proxy.address() as AddressInfo).port).catch(
    async (e: unknown) => {
      await end();
      throw e;
    },
  );
  const pageProblems = () => driver.executeScript<string[] | null>('return window.__problems || null');
  const actions = () => driver.actions({ async: true });
  // WebKitWebDriver 2.50 dispatches each wheel action's delta minus the previous one's, over the session;
  // so it is sent the running total, and the page gets the delta asked for.
  let wheelTotal = 0;
  return {
    goto: async (url) => {
      seen.push(...((await pageProblems()) ?? []));
      await driver.get(url);
      await driver.executeScript(installHooks);
    },
    eval: (fn, arg) => driver.executeScript(`return (${fn.toString()})(arguments[0])`, arg),
    click: (selector) => driver.findElement(By.css(selector)).click(),
    press: (key) => actions().sendKeys(KEYS[key]).perform(),
    // scroll() is selenium-webdriver's (since 4.2) but missing from @types/selenium-webdriver 4.35.
    wheel: (x, y, deltaY) =>
      (actions() as unknown as { scroll(...a: unknown[]): { perform(): Promise<void> } })
        .scroll(Math.round(x), Math.round(y), 0, (wheelTotal += deltaY), Origin.VIEWPORT)
        .perform(),
    drag: async (from, to, steps) => {
      let a = actions()
        .move({ x: Math.round(from[0]), y: Math.round(from[1]), origin: Origin.VIEWPORT, duration: 0 })
        .press();
      for (let i = 1; i <= steps; i++) {
        const at = (k: 0 | 1) => Math.round(from[k] + ((to[k] - from[k]) * i) / steps);
        a = a.move({ x: at(0), y: at(1), origin: Origin.VIEWPORT, duration: 20 });
      }
      await a.release().perform();
    },
    problems: async () => [...seen, ...((await pageProblems()) ?? [])],
    screenshot: async (file) => writeFileSync(file, await driver.takeScreenshot(), 'base64'),
    close: async () => {
      try {
        await driver.quit();
      } finally {
        await end();
      }
    },
  };
}
