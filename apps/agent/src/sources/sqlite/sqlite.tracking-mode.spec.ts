import { firesOnStamp, sideTableReason } from './sqlite.tracking-mode.js';

describe("which of the application's SQLite triggers a version column's stamp would fire", () => {
  it.each([
    'CREATE TRIGGER t AFTER UPDATE ON c BEGIN SELECT 1; END',
    'create trigger t after update on c begin select 1; end',
    'CREATE TRIGGER t BEFORE UPDATE ON c BEGIN INSERT INTO audit VALUES (OLD.id); END',
    'CREATE TRIGGER t UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER IF NOT EXISTS t AFTER UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TEMP TRIGGER t AFTER UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER main.t AFTER UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER "main"."t" AFTER UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER "on update of" AFTER UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER [insert trigger] AFTER UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER `a``b` AFTER UPDATE ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER t\n  AFTER\tUPDATE\n  ON c FOR EACH ROW WHEN NEW.x <> OLD.x BEGIN SELECT 1; END',
    'CREATE TRIGGER t AFTER UPDATE ON "of" BEGIN SELECT 1; END',
    'CREATE TRIGGER t AFTER UPDATE OF name, _rowferry_version ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER t AFTER UPDATE OF "_ROWFERRY_VERSION" ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER t /* a comment */ AFTER UPDATE ON c BEGIN SELECT 1; END',
    'something this does not read',
  ])('fires on every update: %s', (sql) => {
    expect(firesOnStamp(sql, '_rowferry_version')).toBe(true);
  });

  it.each([
    'CREATE TRIGGER t AFTER INSERT ON c BEGIN UPDATE c SET x = 1; END',
    'CREATE TRIGGER t BEFORE DELETE ON c BEGIN UPDATE c SET x = 1; END',
    'CREATE TRIGGER t AFTER UPDATE OF name, email ON c BEGIN UPDATE c SET x = 1; END',
    'CREATE TRIGGER t AFTER UPDATE OF "name" ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER "update" INSERT ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER [after update] AFTER INSERT ON c BEGIN SELECT 1; END',
    'CREATE TRIGGER t INSTEAD OF DELETE ON v BEGIN SELECT 1; END',
  ])('does not: %s', (sql) => {
    expect(firesOnStamp(sql, '_rowferry_version')).toBe(false);
  });

  it("names the application's triggers that would fire, never rowferry's own", () => {
    const own = {
      name: '_rowferry_c_update',
      sql: 'CREATE TRIGGER "_rowferry_c_update" AFTER UPDATE ON c BEGIN SELECT 1; END',
    };
    const app = { name: 'c_touch', sql: 'CREATE TRIGGER c_touch AFTER UPDATE ON c BEGIN SELECT 1; END' };
    const audit = { name: 'c_audit', sql: 'CREATE TRIGGER c_audit BEFORE UPDATE ON c BEGIN SELECT 1; END' };
    const narrow = { name: 'c_name', sql: 'CREATE TRIGGER c_name AFTER UPDATE OF name ON c BEGIN SELECT 1; END' };
    expect(sideTableReason(false, [], '_rowferry_version')).toBeUndefined();
    expect(sideTableReason(false, [own, narrow], '_rowferry_version')).toBeUndefined();
    expect(sideTableReason(false, [own, app], '_rowferry_version')).toMatch(/update trigger "c_touch" would run/);
    expect(sideTableReason(false, [app, narrow, audit], '_rowferry_version')).toMatch(
      /update triggers "c_touch", "c_audit" would run/,
    );
    expect(sideTableReason(true, [], '_rowferry_version')).toMatch(/WITHOUT ROWID/);
  });
});
