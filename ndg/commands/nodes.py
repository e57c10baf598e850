from pathlib import Path

import click


@click.group("nodes", invoke_without_command=True)
@click.pass_context
def command(ctx):
    """Work with node folders."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@command.command("new")
@click.argument("node_id", metavar="USER/NAMESPACE/NAME")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to create the node folder NAME in.")
def new(node_id, parent):
    """Create a node folder that builds and runs as it is.

    Writes DIR/NAME/definition.json, src/lib.rs and Cargo.toml; docs/nodes.md explains them.
    """
    from ndg.compiler.scaffold import scaffold

    folder = scaffold(node_id, parent)
    name = folder.name
    click.echo(f"created {folder}/ with definition.json, src/lib.rs and Cargo.toml\n"
               f"  try it:   echo 'output(input: {name}(length: 2))' > {name}.ndg && "
               f"ndg run {name}.ndg --nodes {parent}\n"
               f"  test it:  (cd {folder} && cargo test --offline)\n"
               f"  the node contract: docs/nodes.md")
