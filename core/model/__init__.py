"""motionlex.core.model: the motion-text model (configs, encoders, lexical head), its model
folders and checkpoint loaders, and the plain-torch lite towers for one-off queries."""
