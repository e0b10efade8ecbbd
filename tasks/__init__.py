"""Built-in task plugins (installed as ``viubench.builtin_tasks``): one module per benchmark, each
exporting ``TASKS``, a list of :class:`viubench.task.registry.Task`."""
