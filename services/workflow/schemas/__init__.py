"""workflow's request and response schemas (they make the OpenAPI), one module per room;
`schemas.X` names them all. A business's own schemas are in its module (businesses/)."""
from .definitions import *  # noqa: F401,F403
from .instances import *  # noqa: F401,F403
from .operations import *  # noqa: F401,F403
from .portal import *  # noqa: F401,F403
from .tasks import *  # noqa: F401,F403
