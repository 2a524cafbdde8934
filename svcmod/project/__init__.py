"""Where the work is: configuration, discovery of files, projects of a monorepo, git."""
