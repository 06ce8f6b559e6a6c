/** Every view of the UI, in navigation order (a view file exports one `View`). */
import type { View } from '../view.ts';
import { cost } from './cost.ts';
import { explorer } from './explorer.ts';
import { leaderboard } from './leaderboard.ts';
import { runsView } from './runs.ts';
import { trendsView } from './trends.ts';

// the order; compare, item analysis come with their views
export const VIEWS: readonly View[] = [leaderboard, explorer, trendsView, runsView, cost];
