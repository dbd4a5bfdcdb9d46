// only source here
