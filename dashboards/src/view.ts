import type { Permission } from '../../accounts/roles.ts';

/** What a view is: a title, a place in the navigation, and a render of its state (the URL's parameters). */
export interface ViewContext {
  /** a fresh element for this render; a newer render detaches it, so a late answer writes nowhere visible */
  root: HTMLElement;
  params: URLSearchParams;
  /** aborted when the user moves on: pass it to uncached requests */
  signal: AbortSignal;
}

export interface View {
  id: string;
  title: string;
  /** shown in the top navigation (the item view is reached from others) */
  nav: boolean;
  /** the permission its page needs in the current workspace (absent: read); it is in the navigation only then */
  needs?: Permission;
  /** resolves once the view shows its data (or its empty or error state) */
  render(ctx: ViewContext): Promise<void> | void;
}
