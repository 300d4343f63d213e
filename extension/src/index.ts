/**
 * JupyterLab plugin: `%%neuron` / `%%synapse` cells get the jnsim equation language.
 *
 * The language is registered under the MIME type `text/x-jnsim-equations`. A code cell
 * whose source starts with one of the magics gets that MIME type; when the magic goes,
 * the cell goes back to the notebook's language. The notebook resets every code cell's
 * MIME type when the kernel's `language_info` arrives (kernel start, restart, change),
 * so the plugin watches each cell's MIME type and source, the notebook's metadata and
 * cell list, and the session's kernel, and re-applies.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import type { Cell, ICellModel } from '@jupyterlab/cells';
import { type CodeMirrorEditor, IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { language as languageFacet, type Language } from '@codemirror/language';

import {
  equationLanguage,
  equationLanguageSupport,
  LANGUAGE_NAME,
  MIME_TYPE
} from './language';
import { isEquationCell } from './vocabulary';

export { MIME_TYPE, LANGUAGE_NAME } from './language';
export { isEquationCell } from './vocabulary';

/** How often one cell's editor may be nudged to pick up the language (guards loops). */
const MAX_NUDGES = 5;

/** Keeps the equation language on the equation cells of one notebook panel. */
class EquationCellWatcher {
  constructor(
    private readonly panel: NotebookPanel,
    private readonly languages: IEditorLanguageRegistry,
    private readonly language: Language
  ) {
    const session = panel.sessionContext;
    session.kernelChanged.connect(this._schedule, this);
    session.statusChanged.connect(this._schedule, this);
    session.connectionStatusChanged.connect(this._schedule, this);
    session.ready.then(() => this._schedule()).catch(() => undefined);
    panel.content.modelChanged.connect(this._attachModel, this);
    panel.context.ready
      .then(() => {
        this._attachModel();
        this._schedule();
      })
      .catch(() => undefined);
    this._attachModel();
    panel.disposed.connect(this._dispose, this);
  }

  /** Watch the notebook model: its metadata, its cell list and each code cell. */
  private _attachModel(): void {
    const model = this.panel.content.model;
    if (!model || model.isDisposed) {
      return;
    }
    model.metadataChanged.connect(this._schedule, this);
    model.cells.changed.connect(this._onCellsChanged, this);
    for (const cell of model.cells) {
      this._watchCell(cell);
    }
    this._schedule();
  }

  private _onCellsChanged(): void {
    const model = this.panel.content.model;
    if (!model) {
      return;
    }
    for (const cell of model.cells) {
      this._watchCell(cell);
    }
    this._schedule();
  }

  private _watchCell(cell: ICellModel): void {
    if (cell.type !== 'code' || cell.isDisposed) {
      return;
    }
    // Lumino ignores a connection that already exists, so this is idempotent.
    cell.contentChanged.connect(this._onContentChanged, this);
    cell.mimeTypeChanged.connect(this._onMimeTypeChanged, this);
    this._applyToCell(cell);
  }

  private _onContentChanged(cell: ICellModel): void {
    this._applyToCell(cell);
  }

  /** Someone (usually the notebook, on kernel info) set a cell's MIME type. */
  private _onMimeTypeChanged(sender: unknown, change: { newValue: string }): void {
    // The signal is declared on the editor model; its sender is the cell model.
    const cell = sender as ICellModel;
    if (this._nudging || change.newValue === MIME_TYPE || !this._isEquationCell(cell)) {
      return;
    }
    // Re-apply once this emission is over (so every listener sees the changes in order),
    // before the browser renders.
    queueMicrotask(() => {
      if (!cell.isDisposed && cell.mimeType !== MIME_TYPE && this._isEquationCell(cell)) {
        cell.mimeType = MIME_TYPE;
      }
    });
    // The editor loads the language it was told about first asynchronously; once that
    // language is loaded, make sure the editor ended up with ours.
    void this.languages
      .getLanguage(change.newValue)
      .catch(() => null)
      .then(() => window.setTimeout(() => this._verifyEditors(), 0));
  }

  private _isEquationCell(cell: ICellModel): boolean {
    return cell.type === 'code' && isEquationCell(cell.sharedModel.getSource());
  }

  /** Give the cell the equation MIME type, or take it away when the magic has gone. */
  private _applyToCell(cell: ICellModel): void {
    if (cell.isDisposed || cell.type !== 'code') {
      return;
    }
    if (this._isEquationCell(cell)) {
      if (cell.mimeType !== MIME_TYPE) {
        cell.mimeType = MIME_TYPE;
      }
    } else if (cell.mimeType === MIME_TYPE) {
      cell.mimeType = this.panel.content.codeMimetype;
    }
  }

  private _applyAll(): void {
    const model = this.panel.content.model;
    if (!model) {
      return;
    }
    for (const cell of model.cells) {
      this._watchCell(cell);
    }
  }

  /**
   * Check that each rendered equation cell's editor really runs the equation language;
   * if a late language load overwrote it, re-announce the MIME type to the editor.
   */
  private _verifyEditors(): void {
    if (this.panel.isDisposed) {
      return;
    }
    for (const widget of this.panel.content.widgets as readonly Cell[]) {
      const model = widget.model;
      if (model.type !== 'code' || model.mimeType !== MIME_TYPE) {
        continue;
      }
      const view = (widget.editor as CodeMirrorEditor | null)?.editor;
      if (!view || view.state.facet(languageFacet) === this.language) {
        continue;
      }
      const nudges = this._nudges.get(model) ?? 0;
      if (nudges >= MAX_NUDGES) {
        continue;
      }
      this._nudges.set(model, nudges + 1);
      this._nudging = true;
      try {
        model.mimeType = this.panel.content.codeMimetype;
        model.mimeType = MIME_TYPE;
      } finally {
        this._nudging = false;
      }
    }
  }

  /** Apply to all cells soon (coalescing bursts of signals), then verify the editors. */
  private _schedule(): void {
    if (this._timer !== null || this.panel.isDisposed) {
      return;
    }
    this._timer = window.setTimeout(() => {
      this._timer = null;
      if (this.panel.isDisposed) {
        return;
      }
      this._applyAll();
      this._verifyEditors();
      // Language loads complete asynchronously; check once more a little later.
      window.setTimeout(() => this._verifyEditors(), 500);
    }, 0);
  }

  private _dispose(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _timer: number | null = null;
  private _nudging = false;
  private readonly _nudges = new WeakMap<ICellModel, number>();
}

/** The plugin: registers the language and watches every notebook. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jnsim-jupyterlab:equation-cells',
  description: 'Editor language for jnsim %%neuron / %%synapse equation cells.',
  autoStart: true,
  requires: [IEditorLanguageRegistry, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    languages: IEditorLanguageRegistry,
    notebooks: INotebookTracker
  ): void => {
    const support = equationLanguageSupport();
    if (!languages.findByName(LANGUAGE_NAME)) {
      languages.addLanguage({
        name: LANGUAGE_NAME,
        displayName: 'jnsim equations',
        mime: [MIME_TYPE],
        extensions: [],
        support
      });
    }
    const watch = (panel: NotebookPanel): void => {
      new EquationCellWatcher(panel, languages, equationLanguage);
    };
    notebooks.forEach(watch);
    notebooks.widgetAdded.connect((_, panel) => watch(panel));
  }
};

export default plugin;
