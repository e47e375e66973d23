/** The runner on SQLite: order, once only, a failing step alone rolled back, a newer file refused unchanged. */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type Migration, runSqliteMigrations, SchemaVersionError, type SqliteVersionPlace } from '../src/index.js';

type Up = string | ((db: Database.Database) => void);

const migrations: Migration<Up>[] = [
  { version: 1, name: 'notes', up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' },
  // Needs version 1's table: run out of order, it fails.
  { version: 2, name: 'a first note', up: "INSERT INTO notes (text) VALUES ('first')" },
  {
    version: 3,
    name: 'notes in upper case',
    up: (db) => {
      const rows = db.prepare('SELECT id, text FROM notes').all() as { id: bigint | number; text: string }[];
      for (const row of rows) db.prepare('UPDATE notes SET text = ? WHERE id = ?').run(row.text.toUpperCase(), row.id);
    },
  },
];

const places: SqliteVersionPlace[] = [{ pragma: 'user_version' }, { table: 'example_schema' }];

function versionIn(db: Database.Database, place: SqliteVersionPlace): number {
  return 'pragma' in place
    ? Number(db.pragma('user_version', { simple: true }))
    : Number(db.prepare(`SELECT max(version) FROM ${place.table}`).pluck().get());
}

describe.each(places)('runSqliteMigrations, version in %o', (place) => {
  const plan = (list: Migration<Up>[]) => ({ component: 'example', version: place, migrations: list });

  it('applies every migration in order, once, and records the newest version', () => {
    const db = new Database(':memory:');
    expect(runSqliteMigrations(db, plan(migrations))).toEqual({ from: 0, to: 3, applied: [1, 2, 3] });
    expect(db.prepare('SELECT text FROM notes').pluck().all()).toEqual(['FIRST']);
    expect(versionIn(db, place)).toBe(3);
    // Again: nothing to do, nothing changed (a second insert would show).
    expect(runSqliteMigrations(db, plan(migrations))).toEqual({ from: 3, to: 3, applied: [] });
    expect(db.prepare('SELECT text FROM notes').pluck().all()).toEqual(['FIRST']);
  });

  it('applies only the migrations past the version found', () => {
    const db = new Database(':memory:');
    runSqliteMigrations(db, plan(migrations.slice(0, 1)));
    db.prepare("INSERT INTO notes (text) VALUES ('mine')").run();
    expect(runSqliteMigrations(db, plan(migrations))).toEqual({ from: 1, to: 3, applied: [2, 3] });
    expect(db.prepare('SELECT text FROM notes ORDER BY id').pluck().all()).toEqual(['MINE', 'FIRST']);
  });

  it('rolls back a failing migration alone and stays at the version before it', () => {
    const db = new Database(':memory:');
    const failing: Migration<Up> = {
      version: 4,
      name: 'half done',
      up: (conn) => {
        conn.exec("INSERT INTO notes (text) VALUES ('half')");
        throw new Error('disk on fire');
      },
    };
    expect(() => runSqliteMigrations(db, plan([...migrations, failing]))).toThrow('disk on fire');
    expect(versionIn(db, place)).toBe(3);
    expect(db.prepare('SELECT text FROM notes').pluck().all()).toEqual(['FIRST']);
    expect(db.inTransaction).toBe(false);
  });

  it('refuses a database newer than the code, naming both versions, and changes nothing', () => {
    const db = new Database(':memory:');
    runSqliteMigrations(db, plan(migrations));
    const older = migrations.slice(0, 2);
    let error: unknown;
    try {
      runSqliteMigrations(db, plan(older));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({ code: 'SCHEMA_TOO_NEW', component: 'example', found: 3, known: 2 });
    expect((error as Error).message).toContain('schema version 3, newer than 2');
    expect(versionIn(db, place)).toBe(3);
    expect(db.inTransaction).toBe(false);
  });
});

describe('runSqliteMigrations, plans', () => {
  it('refuses versions that do not increase', () => {
    const db = new Database(':memory:');
    const first = migrations[0] as Migration<Up>;
    expect(() =>
      runSqliteMigrations(db, {
        component: 'example',
        version: { pragma: 'user_version' },
        migrations: [first, { ...first, name: 'again' }],
      }),
    ).toThrow(RangeError);
    expect(() => runSqliteMigrations(db, { component: 'example', version: { table: 'bad name' }, migrations })).toThrow(
      RangeError,
    );
  });

  it('lets a store start its numbering past 1 (a baseline over older layouts)', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 3'); // written by code from before the runner
    const baseline: Migration<Up> = { version: 5, name: 'baseline', up: 'CREATE TABLE IF NOT EXISTS t (x INTEGER)' };
    expect(
      runSqliteMigrations(db, { component: 'example', version: { pragma: 'user_version' }, migrations: [baseline] }),
    ).toEqual({ from: 3, to: 5, applied: [5] });
  });
});
