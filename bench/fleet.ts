// A fleet of paused QEMU processes (bench/lib/qemu-fleet.ts) that stays up until
// SIGTERM or SIGINT, for measurements that run their own sessions next to it
// (bench/node-variants.sh). Prints "READY N" on stdout once every VM holds its RAM.
//   node --import tsx bench/fleet.ts VMS GUEST_MIB
import { startFleet } from './lib/qemu-fleet.js';

const [vms, guestMiB] = process.argv.slice(2).map(Number);
if (!Number.isInteger(vms) || vms! < 1 || !Number.isInteger(guestMiB) || guestMiB! < 1) {
  process.stderr.write('usage: node --import tsx bench/fleet.ts VMS GUEST_MIB\n');
  process.exit(2);
}
const fleet = await startFleet(vms!, guestMiB!, (line) => void process.stderr.write(`${line}\n`));
process.stdout.write(`READY ${fleet.pids.length}\n`);
const stop = async (): Promise<void> => {
  await fleet.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
setInterval(() => {}, 1 << 30);
