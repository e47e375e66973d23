/** The articles of the demo site: sub-cent prices in USD with 6 decimals. */
export interface Article {
  readonly id: string;
  readonly title: string;
  readonly teaser: string;
  /** Decimal string in USD. */
  readonly price: string;
  readonly body: readonly string[];
}

export const articles: readonly Article[] = [
  {
    id: 'tides',
    title: 'Why the tide comes in twice a day',
    teaser: 'The Moon pulls on the near side of the Earth harder than on the far side.',
    price: '0.002',
    body: [
      'The Moon pulls on the side of the Earth that faces it a little harder than on the centre, and on the centre a little harder than on the far side. The oceans respond to the difference, not to the pull itself.',
      'So water heaps up in two bulges: one under the Moon, one opposite it. As the Earth turns beneath them, a coast passes through both bulges every lunar day of 24 hours and 50 minutes: two high tides.',
      'When the Sun lines up with the Moon the bulges add up to spring tides; at right angles they partly cancel into neap tides.',
    ],
  },
  {
    id: 'bread',
    title: 'The chemistry of a good crust',
    teaser: 'Browning is a hundred reactions at once, and steam decides who wins.',
    price: '0.0015',
    body: [
      'Above about 140 °C, sugars and amino acids at the surface of the dough start the Maillard reactions: hundreds of small molecules that smell of toast, nuts and caramel.',
      'Steam in the first minutes keeps the surface soft so the loaf can still rise, and gelatinises the starch so it sets glossy. Let the steam out too early and the crust is thick and dull.',
      'A darker bake is not burnt: most of the flavour of bread is in its crust.',
    ],
  },
  {
    id: 'sleep',
    title: 'What your brain does while you sleep',
    teaser: 'Deep sleep rinses, dreaming rehearses.',
    price: '0.003',
    body: [
      'During deep sleep, slow waves of activity sweep across the cortex and the space between brain cells widens. Cerebrospinal fluid flows through more freely, carrying waste away.',
      'In REM sleep the brain replays the day in fragments. Memories that were replayed are the ones that last; a night of lost sleep costs more than tiredness.',
    ],
  },
  {
    id: 'bees',
    title: 'How bees vote on a new home',
    teaser: 'A swarm picks the best of a dozen cavities without a leader.',
    price: '0.001',
    body: [
      'Scouts fly out, find cavities and come back to dance for them. The better the site, the longer and more often they dance, and the more scouts they recruit.',
      'Support for poor sites fades, support for good sites snowballs. When enough scouts gather at one site at once, a quorum, the swarm lifts off and flies there together.',
    ],
  },
  {
    id: 'glass',
    title: 'Is glass a slow liquid?',
    teaser: 'No: old windows are thicker at the bottom for another reason.',
    price: '0.0025',
    body: [
      'Glass is an amorphous solid: its atoms are as disordered as a liquid, but they do not flow at room temperature on any timescale a cathedral could notice.',
      'Medieval panes were made by spinning molten glass into a disc that was uneven to begin with. Glaziers often set the thick edge at the bottom; sometimes they set it at the top.',
    ],
  },
];

/** The article with this id, if any. */
export function articleById(id: string): Article | undefined {
  return articles.find((article) => article.id === id);
}
