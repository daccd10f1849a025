// The SQLite thread (see sqlite-thread.ts): it owns the one writing connection
// and runs, in arrival order, what the main thread asks - Prisma's driver-adapter
// calls (through Prisma's own better-sqlite3 adapter, so results and errors are
// exactly Prisma's) and the hot paths' direct statements (sql.ts).
// Plain JavaScript: it needs no TypeScript, and starts without tsx.
import { parentPort, workerData } from 'node:worker_threads';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';

const { url, timeout } = workerData;
const port = parentPort;

/** errorOf makes an error cloneable, keeping what Prisma and callers look at. */
function errorOf(err) {
  return { name: err?.name, message: String(err?.message ?? err), code: typeof err?.code === 'string' ? err.code : undefined, cause: err?.name === 'DriverAdapterError' ? err.cause : undefined };
}

let adapter;
let raw;
try {
  adapter = await new PrismaBetterSqlite3({ url, timeout }).connect();
  // Prisma's adapter keeps its better-sqlite3 Database as `client`.
  raw = adapter.client;
  // LIKE with the backslash as its escape character, as PostgreSQL's: Prisma's `contains` sends
  // no ESCAPE clause, and without one SQLite cannot match a literal % or _ (graphql/common.ts likeLiteral).
  raw.function('like', { deterministic: true }, likeWithBackslashEscape);
} catch (err) {
  port.postMessage({ ready: false, error: errorOf(err) });
  port.close();
}

/** likePattern turns a LIKE pattern (%, _, backslash escapes) into a case-insensitive RegExp; the last few are kept. */
const likePatterns = new Map();
function likePattern(pattern) {
  let re = likePatterns.get(pattern);
  if (!re) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '\\' && i + 1 < pattern.length) source += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      else if (c === '%') source += '.*';
      else if (c === '_') source += '.';
      else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    re = new RegExp(`^${source}$`, 'isu');
    if (likePatterns.size > 100) likePatterns.clear();
    likePatterns.set(pattern, re);
  }
  return re;
}

/** like(pattern, value): SQLite's `value LIKE pattern`, with the backslash escaping the next character. */
function likeWithBackslashEscape(pattern, value) {
  if (pattern === null || value === null) return null;
  return likePattern(String(pattern)).test(String(value)) ? 1 : 0;
}

const transactions = new Map();
let nextTx = 1;
const statements = new Map();

function prepared(sql) {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = raw.prepare(sql);
    if (statements.size > 500) statements.clear();
    statements.set(sql, stmt);
  }
  return stmt;
}

function target(tx) {
  if (tx === undefined) return adapter;
  const found = transactions.get(tx);
  if (!found) throw new Error(`transaction ${tx} is not open`);
  return found;
}

async function handle(m) {
  switch (m.op) {
    case 'queryRaw':
      return target(m.tx).queryRaw(m.query);
    case 'executeRaw':
      return target(m.tx).executeRaw(m.query);
    case 'executeScript':
      return adapter.executeScript(m.script);
    case 'startTransaction': {
      const tx = await adapter.startTransaction(m.isolationLevel);
      const id = nextTx++;
      transactions.set(id, tx);
      return { id, options: tx.options };
    }
    case 'commit':
    case 'rollback': {
      const tx = target(m.tx);
      transactions.delete(m.tx);
      return tx[m.op]();
    }
    case 'createSavepoint':
    case 'rollbackToSavepoint':
    case 'releaseSavepoint':
      return target(m.tx)[m.op](m.name);
    case 'statements':
      // one trip for a list: rows for a reading statement, null otherwise
      return m.list.map(({ sql, args }) => {
        const stmt = prepared(sql);
        if (stmt.reader) return stmt.all(args);
        stmt.run(args);
        return null;
      });
    case 'exec':
      raw.exec(m.sql);
      return null;
    case 'rollbackIfOpen':
      if (raw.inTransaction) raw.exec('ROLLBACK');
      return null;
    case 'dispose':
      statements.clear();
      return adapter.dispose();
    default:
      throw new Error(`unknown operation ${m.op}`);
  }
}

if (adapter) {
  let chain = Promise.resolve();
  port.on('message', (m) => {
    chain = chain.then(async () => {
      try {
        port.postMessage({ id: m.id, result: await handle(m) });
      } catch (err) {
        port.postMessage({ id: m.id, error: errorOf(err) });
      }
      if (m.op === 'dispose') port.close();
    });
  });
  port.postMessage({ ready: true });
}
