/** Environment variables of the VGG19 weights lookup (kept apart so the CLI's help needs no heavy module). */
export const ENV_WEIGHTS = 'NECTAR_LOSS_VGG19_WEIGHTS';
export const ENV_URL = 'NECTAR_LOSS_VGG19_URL';
export const ENV_NO_DOWNLOAD = 'NECTAR_LOSS_NO_DOWNLOAD';
