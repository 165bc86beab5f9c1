"""motionlex.core.train: the training phases (mlmhead, LexMLM, CMMM, LexMMM, LexCMLP, dense) as
objectives, their data, losses and decoders, and the Lightning run (:func:`.training.train`)."""
