import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machine, replaceSection, takeBenchLock, writeBenchmarkSection } from '../../bench/report';

describe('the benchmarks page', () => {
  it('replaces only its own section and keeps the others', () => {
    const page = 'head\n\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\n\n<!-- bench:b -->\nold b\n<!-- /bench:b -->\n';
    expect(replaceSection(page, 'a', 'new a')).toBe('head\n\n<!-- bench:a -->\nnew a\n<!-- /bench:a -->\n\n<!-- bench:b -->\nold b\n<!-- /bench:b -->\n');
  });

  it('adds a section it does not find, at the end', () => {
    expect(replaceSection('head\n', 'c', 'c body')).toBe('head\n\n<!-- bench:c -->\nc body\n<!-- /bench:c -->\n');
  });

  it('states the date, the machine and the commit of each run', () => {
    // GIVEN no page yet
    const path = join(mkdtempSync(join(tmpdir(), 'bench-')), 'benchmarks.md');
    // WHEN a benchmark writes its section twice
    writeBenchmarkSection('synth', 'Synth', ['| second |'], path);
    writeBenchmarkSection('synth', 'Synth', ['| third |'], path);
    // THEN the page holds the header and the latest run only, with its machine line
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^# Benchmarks\n/);
    expect(text).toContain(`Run on ${machine().slice(0, 10)}`);
    expect(text).toMatch(/\d+ cores, [\d.]+ GiB, Linux .*, Node v[\d.]+, at commit [0-9a-f]{7,}( with uncommitted changes)?\./);
    expect(text).toContain('| third |');
    expect(text).not.toContain('| second |');
  });
});

describe('the benchmarks lock', () => {
  const lockIn = () => join(mkdtempSync(join(tmpdir(), 'bench-lock-')), 'bench.lock');

  it('is refused while another live process holds it, naming that benchmark', () => {
    // GIVEN a lock held by a live process (this test's parent)
    const path = lockIn();
    writeFileSync(path, `${process.ppid} bench:webapp\n`);
    // WHEN another benchmark asks for it THEN it is refused with the holder's name
    expect(() => takeBenchLock('drill', path)).toThrow(/another benchmark \(bench:webapp, pid \d+\) is running/);
  });

  it('is taken over from a process that is gone', () => {
    // GIVEN a lock left by a process that has exited
    const path = lockIn();
    const gone = spawnSync('true').pid;
    writeFileSync(path, `${gone} bench\n`);
    // WHEN a benchmark asks for it THEN it holds it
    takeBenchLock('drill', path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid} drill\n`);
  });
});
