// Exposition bodies for the scrape benchmarks: node_exporter-like text (its families, label
// shapes and value forms; about 1,000 samples) and a flat target of N series.

/** A body and how many samples it holds. */
export interface ExpositionBody {
  label: string;
  text: string;
  bytes: Uint8Array;
  samples: number;
}

function make(label: string, text: string): ExpositionBody {
  const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
  return { label, text, bytes: new TextEncoder().encode(text), samples };
}

/** Text shaped like node_exporter 1.5's page on a 16-CPU host with 4 disks and 6 interfaces. */
export function nodeExporterBody(): ExpositionBody {
  let t = "";
  const family = (name: string, type: string, help: string) =>
    t += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  family(
    "go_gc_duration_seconds",
    "summary",
    "A summary of the pause duration of garbage collection cycles.",
  );
  for (const q of ["0", "0.25", "0.5", "0.75", "1"]) {
    t += `go_gc_duration_seconds{quantile="${q}"} 3.4217e-05\n`;
  }
  t += "go_gc_duration_seconds_sum 0.012787447\ngo_gc_duration_seconds_count 211\n";
  family("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
  const modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"];
  for (let cpu = 0; cpu < 16; cpu++) {
    for (const m of modes) {
      t += `node_cpu_seconds_total{cpu="${cpu}",mode="${m}"} ${
        (cpu * 1000 + m.length * 37.13).toFixed(2)
      }\n`;
    }
  }
  const disks = ["nvme0n1", "nvme1n1", "sda", "sdb"];
  for (
    const f of [
      "reads_completed_total",
      "writes_completed_total",
      "read_bytes_total",
      "written_bytes_total",
      "io_time_seconds_total",
      "read_time_seconds_total",
      "write_time_seconds_total",
      "io_now",
      "discards_completed_total",
      "flush_requests_total",
    ]
  ) {
    family(`node_disk_${f}`, "counter", "Disk statistic.");
    for (const d of disks) t += `node_disk_${f}{device="${d}"} ${1.234567e9 + d.length}\n`;
  }
  const nics = ["eth0", "eth1", "lo", "docker0", "veth1a2b3c", "wlan0"];
  for (
    const f of [
      "receive_bytes_total",
      "transmit_bytes_total",
      "receive_packets_total",
      "transmit_packets_total",
      "receive_errs_total",
      "transmit_errs_total",
      "receive_drop_total",
      "transmit_drop_total",
      "up",
      "mtu_bytes",
      "speed_bytes",
      "carrier",
    ]
  ) {
    family(`node_network_${f}`, "gauge", "Network device statistic.");
    for (const n of nics) t += `node_network_${f}{device="${n}"} ${n.length * 123456789}\n`;
  }
  const mounts = [["/dev/nvme0n1p2", "ext4", "/"], ["/dev/nvme0n1p1", "vfat", "/boot/efi"], [
    "tmpfs",
    "tmpfs",
    "/run",
  ], ["/dev/sda1", "xfs", "/var/lib/data"]];
  for (
    const f of [
      "avail_bytes",
      "files",
      "files_free",
      "free_bytes",
      "readonly",
      "size_bytes",
      "device_error",
    ]
  ) {
    family(`node_filesystem_${f}`, "gauge", "Filesystem statistic.");
    for (const [dev, fs, mp] of mounts) {
      t +=
        `node_filesystem_${f}{device="${dev}",fstype="${fs}",mountpoint="${mp}"} 5.0464772096e+11\n`;
    }
  }
  for (let i = 0; i < 60; i++) {
    family(`node_memory_M${i}_bytes`, "gauge", "Memory information field.");
    t += `node_memory_M${i}_bytes ${i * 4096 * 1024}\n`;
  }
  for (let i = 0; i < 40; i++) {
    family(`node_vmstat_v${i}`, "untyped", "/proc/vmstat information field.");
    t += `node_vmstat_v${i} ${i * 987654}\n`;
  }
  family("node_load1", "gauge", "1m load average.");
  t += "node_load1 0.52\nnode_load5 0.61\nnode_load15 0.7\n";
  family(
    "node_scrape_collector_duration_seconds",
    "gauge",
    "node_exporter: Duration of a collector scrape.",
  );
  for (let i = 0; i < 40; i++) {
    t += `node_scrape_collector_duration_seconds{collector="c${i}"} 0.000${i + 100}\n`;
  }
  family("node_scrape_collector_success", "gauge", "node_exporter: Whether a collector succeeded.");
  for (let i = 0; i < 40; i++) t += `node_scrape_collector_success{collector="c${i}"} 1\n`;
  return make("node_exporter-like", t);
}

/** One family of `n` series, as a target serving many series exposes them. */
export function flatBody(n: number, label = `${n} series`): ExpositionBody {
  let t = "# HELP bench_value A value.\n# TYPE bench_value gauge\n";
  for (let i = 0; i < n; i++) t += `bench_value{shard="${i % 100}",id="${i}"} ${i * 1.5}\n`;
  return make(label, t);
}
