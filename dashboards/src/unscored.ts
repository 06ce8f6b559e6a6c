/** The unscored rule every analysis view offers (POST /analysis and /compare `unscored`), read from the URL. */
import { select } from './dom.ts';

export type Unscored = 'exclude' | 'wrong';

const OPTIONS = [
  { value: 'exclude', label: 'unscored answers left out' },
  { value: 'wrong', label: 'unscored answers count as wrong' },
];

/** The URL's `unscored`, or the API's default (exclude). */
export const readUnscored = (params: URLSearchParams): Unscored =>
  params.get('unscored') === 'wrong' ? 'wrong' : 'exclude';

/** The labelled select of the rule; `onChange` puts the choice in the URL (with whatever else it resets). */
export function unscoredSelect(id: string, value: Unscored, onChange: (v: string) => void): HTMLElement {
  return select(id, 'Unscored answers', OPTIONS, value, onChange);
}
