/** A one-line progress display on a TTY (rows/s, ETA); periodic plain lines otherwise. */
export function progressPrinter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const t0 = Date.now();
  let lastPlain = 0;
  return {
    update(done: number, total: number) {
      const secs = (Date.now() - t0) / 1000;
      const rate = secs > 0 ? done / secs : 0;
      const eta = rate > 0 && total > done ? (total - done) / rate : 0;
      const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
      const line = `${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%) ${Math.round(rate).toLocaleString('en-US')} rows/s ETA ${eta.toFixed(0)} s`;
      if (stream.isTTY) stream.write(`\r\x1b[2K${line}`);
      else if (Date.now() - lastPlain > 5000 || done === total) {
        stream.write(`${line}\n`);
        lastPlain = Date.now();
      }
    },
    done() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
