import { option, type OptionName } from '../../errors.js';

/** Environment variables of the weights lookups (kept apart so the CLI's help needs no heavy module). */
export const ENV_WEIGHTS = 'NECTAR_LOSS_VGG19_WEIGHTS';
export const ENV_URL = 'NECTAR_LOSS_VGG19_URL';
export const ENV_NO_DOWNLOAD = 'NECTAR_LOSS_NO_DOWNLOAD';

/** One torchvision weights file: how it is named, where it is downloaded from, and what overrides that. */
export interface HubWeights {
  /** `VGG19`, `AlexNet`, `VGG16`: for messages. */
  label: string;
  /** torchvision's URL; its base name is the file torch.hub caches. */
  url: string;
  /** The variable that names a file, and the one that replaces the URL. */
  envWeights: string;
  envUrl: string;
  /** The option that names a file (the CLI's flag, the library's option). */
  option: OptionName;
}

export const VGG19_HUB: HubWeights = {
  label: 'VGG19',
  url: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
  envWeights: ENV_WEIGHTS,
  envUrl: ENV_URL,
  option: option('weights: FILE', '--weights FILE'),
};
/** The LPIPS trunks, as the lpips package loads them through torchvision. */
export const ALEXNET_HUB: HubWeights = {
  label: 'AlexNet',
  url: 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
  envWeights: 'NECTAR_LOSS_ALEXNET_WEIGHTS',
  envUrl: 'NECTAR_LOSS_ALEXNET_URL',
  option: option('alexnetWeights: FILE', '--alexnet-weights FILE'),
};
export const VGG16_HUB: HubWeights = {
  label: 'VGG16',
  url: 'https://download.pytorch.org/models/vgg16-397923af.pth',
  envWeights: 'NECTAR_LOSS_VGG16_WEIGHTS',
  envUrl: 'NECTAR_LOSS_VGG16_URL',
  option: option('vgg16Weights: FILE', '--vgg16-weights FILE'),
};
/** pytorch-fid's FID Inception weights (TensorFlow's 2015 Inception graph ported to PyTorch). */
export const INCEPTION_HUB: HubWeights = {
  label: 'FID Inception',
  url: 'https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth',
  envWeights: 'NECTAR_LOSS_INCEPTION_WEIGHTS',
  envUrl: 'NECTAR_LOSS_INCEPTION_URL',
  option: option('inceptionWeights: FILE', '--inception-weights FILE'),
};
