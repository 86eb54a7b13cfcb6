/**
 * Per-tensor statistics over the steps of the selected recording
 * (`get_trends`), for the table's sparklines and the detail's chart.
 * Fetched once a recording of two steps or more has finished.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { EagerLabModel } from './model';
import type { ITrendSeries } from './protocol';
import { MAX_PAGE_ROWS } from './protocol';
import { supports } from './tokens';

export class TrendsModel {
  constructor(main: EagerLabModel) {
    this._main = main;
    main.selectionChanged.connect(this._update, this);
    main.recordingsChanged.connect(this._update, this);
  }

  /** A named tensor's series, when the recording has trends. */
  series(name: string | null): ITrendSeries | undefined {
    return name === null ? undefined : this._series.get(name);
  }

  /** Whether any series is known (the table shows its trend column). */
  get hasSeries(): boolean {
    return this._series.size > 0;
  }

  /** Step indices of the recording the series cover. */
  get steps(): readonly number[] {
    return this._steps;
  }

  /** Why there are no trends, when asking failed. */
  get error(): string | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _update(): void {
    const conn = this._main.connection;
    const sel = this._main.selection;
    const rec = sel
      ? this._main.recordings.find(r => r.id === sel.recordingId)
      : undefined;
    const wanted =
      conn && rec && rec.finished && rec.steps.length >= 2
        ? `${conn.key}/${rec.id}/${rec.steps.length}`
        : null;
    if (wanted === this._key) {
      return;
    }
    this._key = wanted;
    const had = this._series.size > 0 || this._error !== null;
    this._series = new Map();
    this._steps = [];
    this._error = null;
    const gen = ++this._generation;
    if (had) {
      this._changed.emit();
    }
    if (wanted !== null && supports(conn!.state, 'trends')) {
      void this._fetch(gen, rec!.id);
    }
  }

  private async _fetch(gen: number, recordingId: number): Promise<void> {
    const conn = this._main.connection!;
    const series = new Map<string, ITrendSeries>();
    let steps: number[] = [];
    try {
      let total = Infinity;
      let offset = 0;
      while (offset < total) {
        const page = await conn.request<'get_trends'>({
          type: 'get_trends',
          recording_id: recordingId,
          offset,
          limit: MAX_PAGE_ROWS
        });
        if (gen !== this._generation) {
          return;
        }
        total = page.total;
        steps = page.steps;
        const names = Object.keys(page.series);
        if (names.length === 0) {
          break;
        }
        for (const name of names) {
          series.set(name, page.series[name]);
        }
        offset += names.length;
      }
    } catch (e) {
      if (gen === this._generation) {
        this._error = e instanceof Error ? e.message : String(e);
        this._changed.emit();
      }
      return;
    }
    this._series = series;
    this._steps = steps;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _error: string | null = null;
  private _generation = 0;
  private _key: string | null = null;
  private _main: EagerLabModel;
  private _series = new Map<string, ITrendSeries>();
  private _steps: number[] = [];
}
