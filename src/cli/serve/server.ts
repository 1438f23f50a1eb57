import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { approve } from '../../io/approve.js';
import { ApprovalEntrySchema, MovedOnError, RefusedError, schemaProblem } from '../../io/approvals.js';
import type { ReportRun } from '../../model.js';

export interface ServeOptionValues {
  port: number;
  open?: boolean;
  baselines?: string;
  current?: string;
}

/** The largest POST body: one approvals entry is well under 1 KiB. */
const MAX_BODY = 64 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
};

/** The report page in `dir`: index.html or the only .html file with a run (baseline and current folder). */
function findReport(dir: string): { file: string; run: ReportRun } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.html'));
  } catch (err) {
    throw new UserError(`${dir}: cannot read (${(err as NodeJS.ErrnoException).code ?? ''})`);
  }
  const withRun = names
    .sort((a, b) => Number(b === 'index.html') - Number(a === 'index.html'))
    .map((n) => ({
      n,
      m: /<script id="run" type="application\/json">(.*?)<\/script>/s.exec(
        readFileSync(path.join(dir, n), 'utf8'),
      ),
    }))
    .filter((x) => x.m);
  const first = withRun.at(0);
  if (!first)
    throw new UserError(
      `${dir}: no report of a run with a baseline and a current folder (batch <base> <cur> --report)`,
    );
  return { file: first.n, run: JSON.parse(first.m![1]!) as ReportRun };
}

const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** The token from the query (`?token=`) or the cookie the page was served with. */
function tokenOf(req: IncomingMessage, url: URL): string {
  const cookie = /(?:^|;\s*)nl-token=([0-9a-f]+)/.exec(req.headers.cookie ?? '');
  return url.searchParams.get('token') ?? cookie?.[1] ?? '';
}

/** Reads the body, at most MAX_BODY bytes (undefined beyond). */
async function body(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A file of the report folder for GET: the path decoded once, refused (403) with `..`, a backslash, a NUL,
 * or a real path (symlinks resolved) outside the folder.
 */
function staticFile(root: string, rawPath: string): string | 403 | 404 {
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath);
  } catch {
    return 403;
  }
  if (rel.includes('\0') || rel.split(/[\\/]/).includes('..')) return 403;
  const full = path.join(root, rel);
  if (!existsSync(full)) return 404;
  const real = realpathSync(full);
  const inside = path.relative(root, real);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return 403;
  return statSync(real).isFile() ? real : 404;
}

interface Context {
  root: string;
  report: string;
  token: string;
  /** http://127.0.0.1:<port>, and the Host header that goes with it. */
  origin: string;
  host: string;
  dirs: { baselineDir: string; currentDir: string };
}

/** GET: the report (at /, setting the token cookie its images then carry) or a file of its folder. */
function get(ctx: Context, req: IncomingMessage, res: ServerResponse, raw: string): void {
  const url = new URL(raw, ctx.origin);
  if (!same(tokenOf(req, url), ctx.token)) return send(res, 403, 'forbidden: no or wrong token\n');
  const file =
    url.pathname === '/' ? path.join(ctx.root, ctx.report) : staticFile(ctx.root, raw.split('?')[0]!);
  if (typeof file === 'number') return send(res, file, file === 403 ? 'forbidden\n' : 'not found\n');
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    ...(url.pathname === '/'
      ? { 'set-cookie': `nl-token=${ctx.token}; HttpOnly; SameSite=Strict; Path=/` }
      : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
}

/** POST /approve: one approvals entry, applied at once through approve()'s checks. */
async function post(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== ctx.origin)
    return send(res, 403, { error: `foreign Origin ${origin}` });
  const t = req.headers['x-nectar-loss-token'];
  if (typeof t !== 'string' || !same(t, ctx.token)) return send(res, 403, { error: 'no or wrong token' });
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY)
    return send(res, 413, { error: 'body too large' });
  const text = await body(req);
  if (text === undefined) return send(res, 413, { error: 'body too large' });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return send(res, 400, { error: 'not JSON' });
  }
  const entry = ApprovalEntrySchema.safeParse(raw);
  if (!entry.success) return send(res, 400, { error: schemaProblem(entry.error) });
  try {
    send(res, 200, approve([entry.data], ctx.dirs)[0]);
  } catch (err) {
    const code =
      err instanceof MovedOnError
        ? 409
        : err instanceof RefusedError
          ? 403
          : err instanceof UserError
            ? 400
            : 500;
    send(res, code, { error: code === 500 ? 'internal error' : (err as Error).message });
  }
}

/** Every request: the Host checked (a DNS-rebound name is refused), then GET or POST /approve. */
async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = req.url ?? '';
  if (req.headers.host !== ctx.host) return send(res, 403, 'forbidden: wrong Host\n');
  if (!raw.startsWith('/')) return send(res, 400, 'bad request\n');
  if (req.method === 'POST' && raw.split('?')[0] === '/approve') return post(ctx, req, res);
  if (req.method === 'GET' || req.method === 'HEAD') return get(ctx, req, res, raw);
  send(res, 405, 'method not allowed\n');
}

/** Opens the URL in the default browser (best effort: no browser is not an error). */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(cmd, [url], { stdio: 'ignore', detached: true })
      .on('error', () => undefined)
      .unref();
  } catch {
    // Nothing to open with: the URL is printed.
  }
}

/**
 * `nectar-loss serve`: the report folder over HTTP on 127.0.0.1 only, every request needing the random
 * token; POST /approve applies one decision at once. Prints the URL first. Runs until SIGINT / SIGTERM
 * (each decision is applied synchronously, so a signal never lands in the middle of one).
 */
export async function serve(dir: string, o: ServeOptionValues, out: (s: string) => void): Promise<void> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: not a folder`);
  const root = realpathSync(dir);
  const { file, run } = findReport(root);
  const token = randomBytes(24).toString('hex');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UserError(`--port ${o.port}: cannot listen (${err.code ?? err.message})`)),
    );
    server.listen(o.port, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const ctx: Context = {
    root,
    report: file,
    token,
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    dirs: {
      baselineDir: path.resolve(o.baselines ?? run.baselineDir),
      currentDir: path.resolve(o.current ?? run.currentDir),
    },
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(ctx, req, res).catch(() => send(res, 500, { error: 'internal error' }));
  });
  const url = `${ctx.origin}/?token=${token}`;
  out(`${url}\n`);
  out(`serving ${path.join(dir, file)}; baselines ${ctx.dirs.baselineDir}; Ctrl-C stops\n`);
  if (o.open) openBrowser(url);
  await new Promise<void>((resolve) => server.on('close', resolve));
}
