// The line `faultline live` and `faultline replay` print for their web UI. The URL
// ends the line: a double-click, a terminal's link detection or `grep -o 'http\S*'`
// takes the URL and nothing else (a ";" after it got the server's "not found").
export function uiUrlLine(url: string): string {
  return `faultline: UI at ${url}`;
}
