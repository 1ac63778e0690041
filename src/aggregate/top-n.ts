// The first N of a stream in rank order, kept in one small sorted array: a VM has
// thousands of hot regions and a dozen exit reasons, and sorting all of them to keep
// 8 cost more than everything else in the snapshot. Pure.

/** Inserts `item` into `top` (sorted by `before`, at most `limit` long) after its
 * equals, so input order breaks ties, dropping the last when full. The caller asks
 * first whether the item belongs: that is cheaper than making it. */
export function insertTopN<T>(top: T[], item: T, limit: number, before: (a: T, b: T) => boolean): void {
  if (top.length === limit) top.pop();
  let i = top.length;
  top.push(item);
  while (i > 0 && before(item, top[i - 1]!)) {
    top[i] = top[i - 1]!;
    i -= 1;
  }
  top[i] = item;
}
