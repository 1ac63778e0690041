// The diagnosis strip under the host bar: the snapshot's diagnosis (src/diagnose/),
// its headline, then each cause with its remedy; a cause about a VM or process
// selects that row. Replay shows the diagnosis of the snapshot at the time looked at.
import type { Diagnosis } from '../../src/model/snapshot.js';
import { clear, el, setText, setTitle } from './dom.js';

const SHOWN_CAUSES = 5;

export class DiagnosisStrip {
  private readonly headline: HTMLElement;
  private readonly list: HTMLElement;
  private shownKey = '';

  constructor(private readonly root: HTMLElement, private readonly onSelect: (rowId: string) => void) {
    this.headline = el('div', 'diagnosis-headline');
    this.list = el('ol', 'diagnosis-causes');
    root.append(this.headline, this.list);
  }

  update(diagnosis: Diagnosis | null): void {
    // recordings made before faultline diagnosed have none (the browser decodes it
    // as an empty one)
    const status = diagnosis?.status ?? '';
    this.root.hidden = status === '';
    if (!diagnosis || status === '') return;
    this.root.dataset.status = status;
    setText(this.headline, diagnosis.headline);
    const key = JSON.stringify(diagnosis.causes.slice(0, SHOWN_CAUSES).map((c) => [c.cause, c.subjectId, c.title, c.remedy]));
    if (key === this.shownKey) return;
    this.shownKey = key;
    clear(this.list);
    for (const c of diagnosis.causes.slice(0, SHOWN_CAUSES)) {
      const item = el('li', 'diagnosis-cause');
      item.dataset.severity = c.severity;
      item.dataset.cause = c.cause;
      item.append(el('span', 'diagnosis-severity', c.severity));
      const title = c.subjectId ? el('button', 'diagnosis-title link', c.title) : el('span', 'diagnosis-title', c.title);
      if (c.subjectId) title.addEventListener('click', () => this.onSelect(c.subjectId));
      setTitle(title, c.evidence.join('\n'));
      item.append(title, el('span', 'diagnosis-remedy', `do: ${c.remedy}`));
      this.list.append(item);
    }
    if (diagnosis.causes.length > SHOWN_CAUSES) this.list.append(el('li', 'diagnosis-more', `+${diagnosis.causes.length - SHOWN_CAUSES} more (faultline diagnose)`));
  }
}
