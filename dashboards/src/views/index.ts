/** Every view of the UI, in navigation order (a view file exports one `View`). */
import type { View } from '../view.ts';
import { compare } from './compare.ts';
import { item } from './item.ts';
import { items } from './items.ts';
import { leaderboard } from './leaderboard.ts';

export const VIEWS: readonly View[] = [leaderboard, compare, items, item];
