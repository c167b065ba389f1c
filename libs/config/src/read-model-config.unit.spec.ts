import * as path from 'node:path';
import { AppConfig } from './app-config';

describe('where the read models live (DATABASE_URL)', () => {
  test('unset: the SQLite file in DATA_DIR', () => {
    expect(new AppConfig({ DATA_DIR: '/var/data' }).readModelLocation).toBe(path.join('/var/data', 'read-models.sqlite'));
  });

  test('a PostgreSQL URL', () => {
    for (const url of ['postgres://app:secret@db:5432/service', 'postgresql://db/service']) expect(new AppConfig({ DATABASE_URL: url }).readModelLocation).toBe(url);
  });

  test('anything else is refused', () => {
    expect(() => new AppConfig({ DATABASE_URL: 'mysql://db/service' })).toThrow(/^DATABASE_URL must be a PostgreSQL URL/);
  });
});
