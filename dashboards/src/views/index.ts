/** Every view of the UI, in navigation order (a view file exports one `View`). */
import type { View } from '../view.ts';
import { compare } from './compare.ts';
import { cost } from './cost.ts';
import { explorer } from './explorer.ts';
import { item } from './item.ts';
import { items } from './items.ts';
import { leaderboard } from './leaderboard.ts';
import { runsView } from './runs.ts';
import { trendsView } from './trends.ts';

/** The order; the item view is reached from the others (not in the navigation). */
export const VIEWS: readonly View[] = [
  leaderboard,
  explorer,
  compare,
  items,
  trendsView,
  runsView,
  cost,
  item,
];
