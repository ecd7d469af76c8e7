import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectHardware, detectStorageType, parseNvidiaSmi } from './hardware';

describe('hardware detection', () => {
  it("reads nvidia-smi's csv lines", () => {
    expect(parseNvidiaSmi('NVIDIA A100-SXM4-80GB, 81920 MiB\nNVIDIA A100-SXM4-80GB, 81920 MiB\n')).toEqual([
      { name: 'NVIDIA A100-SXM4-80GB', memoryMib: 81920 },
      { name: 'NVIDIA A100-SXM4-80GB', memoryMib: 81920 },
    ]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });

  describe('storage type from /sys/block', () => {
    let dir: string;
    const disk = (name: string, rotational?: string) => {
      mkdirSync(join(dir, name, 'queue'), { recursive: true });
      if (rotational !== undefined) writeFileSync(join(dir, name, 'queue', 'rotational'), `${rotational}\n`);
    };
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sys-block-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('nvme before ssd before hdd; loop devices say nothing', async () => {
      disk('loop0', '0');
      disk('sda', '1');
      expect(await detectStorageType(dir)).toBe('hdd');
      disk('sdb', '0');
      expect(await detectStorageType(dir)).toBe('ssd');
      disk('nvme0n1', '0');
      expect(await detectStorageType(dir)).toBe('nvme');
    });

    it('ssd where Linux tells nothing', async () => {
      expect(await detectStorageType(join(dir, 'absent'))).toBe('ssd');
    });
  });

  it("this machine's profile is one the API takes", async () => {
    const profile = await detectHardware();
    expect(profile.cpu_cores).toBeGreaterThanOrEqual(1);
    expect(profile.cpu_model.length).toBeGreaterThan(0);
    expect(profile.ram_gb).toBeGreaterThan(0);
    expect(profile.gpu_model === '').toBe(profile.gpu_count === 0);
    expect(['hdd', 'ssd', 'nvme', 'network']).toContain(profile.storage_type);
  });
});
