"""Demo data: a believable small-town marketplace around Burlington, Vermont."""
