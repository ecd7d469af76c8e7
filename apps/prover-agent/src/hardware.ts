import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { components } from '../../../packages/sdk/src/generated/schema';

/** The hardware profile as POST /v1/provers/register takes it (the OpenAPI document's type). */
export type HardwareProfile = components['schemas']['HardwareProfileDto'];

export interface Gpu {
  name: string;
  memoryMib: number;
}

const GIB = 1024 ** 3;
/** The API's limits on a profile's text fields. */
const MAX_MODEL = 128;

/** Two decimal places are enough for sizes in GiB, and keep the profile stable between runs. */
const round2 = (n: number) => Math.round(n * 100) / 100;

/** `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader` lines: "NVIDIA A100, 81920 MiB". */
export function parseNvidiaSmi(output: string): Gpu[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const comma = line.lastIndexOf(',');
      const memory = /(\d+(?:\.\d+)?)\s*MiB/i.exec(line.slice(comma + 1));
      return { name: line.slice(0, comma).trim(), memoryMib: memory ? Number(memory[1]) : 0 };
    })
    .filter((gpu) => gpu.name !== '');
}

/** The machine's GPUs by nvidia-smi; none when it is not installed or fails. */
function detectGpus(): Promise<Gpu[]> {
  return new Promise((resolve) =>
    execFile(
      'nvidia-smi',
      ['--query-gpu=name,memory.total', '--format=csv,noheader'],
      { timeout: 10_000 },
      (error, stdout) => resolve(error ? [] : parseNvidiaSmi(stdout)),
    ),
  );
}

/** Reads a small /sys file, or undefined where it is not (not Linux, no such device). */
async function sysFile(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function sysEntries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Virtual block devices (loop, RAM and device-mapper disks) say nothing of the machine's storage. */
const VIRTUAL_BLOCK = /^(loop|ram|zram|dm-|md|sr|fd)/;

/**
 * The fastest kind of local disk Linux names: an NVMe device, else a non-rotational one (an
 * SSD), else a rotational one (a disk). Elsewhere, or with no disk listed, `ssd`.
 */
export async function detectStorageType(sysBlock = '/sys/block'): Promise<HardwareProfile['storage_type']> {
  const devices = (await sysEntries(sysBlock)).filter((d) => !VIRTUAL_BLOCK.test(d));
  if (devices.some((d) => d.startsWith('nvme'))) return 'nvme';
  const rotational = await Promise.all(devices.map((d) => sysFile(`${sysBlock}/${d}/queue/rotational`)));
  if (rotational.includes('0')) return 'ssd';
  if (rotational.includes('1')) return 'hdd';
  return 'ssd';
}

/** The fastest network link Linux reports (Mbit/s in /sys/class/net/<if>/speed), in Gbit/s; 0 when unknown. */
async function detectBandwidthGbps(sysNet = '/sys/class/net'): Promise<number> {
  const speeds = await Promise.all(
    (await sysEntries(sysNet)).filter((i) => i !== 'lo').map((i) => sysFile(`${sysNet}/${i}/speed`)),
  );
  const mbits = speeds.map(Number).filter((s) => Number.isFinite(s) && s > 0);
  return mbits.length ? Math.min(10_000, Math.max(...mbits) / 1000) : 0;
}

/**
 * This machine's profile: CPU cores and model, RAM, GPUs by nvidia-smi (none without it; the
 * first one's model and memory), storage type and link speed where Linux tells. IOPS are
 * not measured: 0.
 */
export async function detectHardware(): Promise<HardwareProfile> {
  const cpu = cpus();
  const [gpus, storage, bandwidth] = await Promise.all([detectGpus(), detectStorageType(), detectBandwidthGbps()]);
  return {
    cpu_cores: Math.min(4096, Math.max(1, cpu.length)),
    cpu_model: (cpu[0]?.model.trim() || 'unknown').slice(0, MAX_MODEL),
    gpu_count: Math.min(64, gpus.length),
    gpu_model: (gpus[0]?.name ?? '').slice(0, MAX_MODEL),
    gpu_memory_gb: gpus.length ? round2(gpus[0].memoryMib / 1024) : 0,
    ram_gb: round2(totalmem() / GIB),
    storage_type: storage,
    storage_iops: 0,
    network_bandwidth_gbps: round2(bandwidth),
  };
}
