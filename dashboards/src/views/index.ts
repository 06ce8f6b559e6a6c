/** Every view of the UI, in navigation order (a view file exports one `View`). */
import type { View } from '../view.ts';
import { auditView } from './audit.ts';
import { compare } from './compare.ts';
import { cost } from './cost.ts';
import { explorer } from './explorer.ts';
import { item } from './item.ts';
import { items } from './items.ts';
import { keysView } from './keys.ts';
import { leaderboard } from './leaderboard.ts';
import { membersView } from './members.ts';
import { modelsView } from './models.ts';
import { playgroundView } from './playground.ts';
import { runsView } from './runs.ts';
import { signin } from './signin.ts';
import { trendsView } from './trends.ts';

/** The order, then the admin pages; the item view is reached from the others, sign-in when signed out. */
export const VIEWS: readonly View[] = [
  leaderboard,
  explorer,
  compare,
  items,
  trendsView,
  runsView,
  modelsView,
  playgroundView,
  cost,
  membersView,
  keysView,
  auditView,
  item,
  signin,
];
