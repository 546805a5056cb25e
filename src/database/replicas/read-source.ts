/** What X-Read-Source says for a read the primary served; replicas are `replica-<n>`. */
export const PRIMARY = 'primary';
