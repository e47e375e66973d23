/** The files `trickle hub start` keeps in the data folder besides the hub's own. */

/** File in the data folder holding the admin API's bearer token (0600), created on first start. */
export const adminTokenFileName = 'admin.token';
/** File in the data folder where a running hub says where it listens (removed when it stops). */
export const hubInfoFileName = 'hub.json';
