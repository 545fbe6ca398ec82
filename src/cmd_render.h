/* cmd_render.h: "parley render", a template author's tool. */
#ifndef PARLEY_CMD_RENDER_H
#define PARLEY_CMD_RENDER_H

/*
 * parley render TEMPLATE [--data FILE.json] [--partials DIR]
 * argv[0] is "render". Returns the exit status: 0, 1 on errors, 2 on usage errors.
 */
int	 cmd_render(int argc, char **argv);

#endif
