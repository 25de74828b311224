"""The follow list: `feeds.yml`, whom the user follows, and their settings.

One job a module:

- `load`: read the file (its text, a digest naming that text, the follow list it describes), fast;
- `validate`: from a parsed document to the good sources, the settings and a `Problem` for each bad entry;
- `edit`: write the file back (add, change, remove a source; change a setting), keeping comments and order;
- `sync`: the only part that touches the store: bring its sources in step with the file, forget a source;
- `errors`: what goes wrong with the file as a whole or with a change to it.

The records themselves (`Source`, `Settings`, `Problem`, `FollowList`) are in `amplify.types`, since the store
takes them too. docs/feeds-yml.md is the reference for the format.
"""
