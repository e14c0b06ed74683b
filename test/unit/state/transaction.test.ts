import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { inTransaction } from '../../../src/state/transaction.ts';

function notesDatabase(path = ':memory:'): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE IF NOT EXISTS notes (text TEXT NOT NULL) STRICT');
  return db;
}

const write = (db: DatabaseSync, text: string) => db.prepare('INSERT INTO notes (text) VALUES (?)').run(text);

const notes = (db: DatabaseSync) =>
  (db.prepare('SELECT text FROM notes ORDER BY rowid').all() as unknown as { text: string }[]).map((row) => row.text);

describe('transactions', () => {
  it('commit what the work wrote and return what it returned', () => {
    const db = notesDatabase();
    const result = inTransaction(db, () => {
      write(db, 'first');
      write(db, 'second');
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(db.isTransaction, false);
    assert.deepEqual(notes(db), ['first', 'second']);
  });

  it('roll back all the work wrote when it throws, and pass its error on', () => {
    const db = notesDatabase();
    write(db, 'before');
    const refusal = new Error('refused half-way');
    const halfWay = () =>
      inTransaction(db, () => {
        write(db, 'half');
        throw refusal;
      });
    assert.throws(halfWay, (error) => error === refusal);
    assert.equal(db.isTransaction, false);
    assert.deepEqual(notes(db), ['before']);
  });

  it('pass the error of the work on when SQLite already ended the transaction', () => {
    const db = notesDatabase();
    const failure = new Error('disk full');
    const endedBySqlite = () =>
      inTransaction(db, () => {
        write(db, 'lost');
        db.exec('ROLLBACK');
        throw failure;
      });
    assert.throws(endedBySqlite, (error) => error === failure);
    assert.deepEqual(notes(db), []);
  });

  it('refuse to nest, saying so: the inner work never runs and the outer one is rolled back', () => {
    const db = notesDatabase();
    let innerRan = false;
    const nested = () =>
      inTransaction(db, () => {
        write(db, 'outer');
        inTransaction(db, () => {
          innerRan = true;
        });
      });
    assert.throws(nested, /a transaction is already open/);
    assert.equal(innerRan, false);
    assert.deepEqual(notes(db), []);
    db.exec('BEGIN');
    assert.throws(() => inTransaction(db, () => write(db, 'inside a hand-made one')), /a transaction is already open/);
    db.exec('ROLLBACK');
  });

  it('take the write lock before the work reads, so another writer waits until the commit', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'idmail-transaction-')), 'notes.db');
    const db = notesDatabase(path);
    const other = notesDatabase(path);
    inTransaction(db, () => {
      notes(db);
      assert.throws(() => other.exec('BEGIN IMMEDIATE'), /database is locked/);
    });
    other.exec('BEGIN IMMEDIATE');
    other.exec('ROLLBACK');
    db.close();
    other.close();
  });
});
