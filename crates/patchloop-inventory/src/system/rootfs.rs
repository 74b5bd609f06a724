//! Placeholder: the rootfs source.
