#!/usr/bin/env python3
"""Generate crates/fhirpath/src/model/r4.rs (the FHIR R4 type table) from fhir.resources.

Usage (from the repository root):
    python3 tools/fhir-model/generate.py > crates/fhirpath/src/model/r4.rs
    python3 tools/fhir-model/generate.py crates/fhirpath/src/model/r4.rs

The model comes from the PyPI package fhir.resources==6.4.0 (BSD), whose R4
modules are pydantic models generated from the FHIR 4.0.1 specification (CC0).
The wheel is fetched with `pip download` and its Python sources are parsed with
`ast`; nothing is imported. Set FHIR_RESOURCES_DIR to an already unpacked
`fhir/resources` directory to skip the download. Python 3 stdlib only.
"""

import ast
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "fhir.resources==6.4.0"

# Files in fhir/resources that are not FHIR types.
SKIP_FILES = {
    "__init__.py",
    "fhirtypes.py",
    "fhirtypesvalidators.py",
    "fhirprimitiveextension.py",  # FHIRPrimitiveExtension: the `_xxx` JSON carrier
    "fhirresourcemodel.py",  # FHIRResourceModel: pydantic base of Resource
}

# FHIR R4 profiles of Quantity that fhir.resources does not model as classes
# (its quantity.py is the Quantity class). Added so the engine knows them.
EXTRA_QUANTITY_PROFILES = ["MoneyQuantity", "SimpleQuantity"]

# Plain Python annotations used by fhir.resources instead of fhirtypes.*.
PLAIN_ANNOTATIONS = {"bool": "boolean", "str": "string"}


def die(msg):
    sys.stderr.write("generate.py: error: %s\n" % msg)
    sys.exit(1)


def obtain_sources():
    """Return the path of the unpacked `fhir/resources` directory."""
    given = os.environ.get("FHIR_RESOURCES_DIR")
    if given:
        return given
    tmp = tempfile.mkdtemp(prefix="fhir-model-")
    atexit.register(shutil.rmtree, tmp, True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", PACKAGE, "-d", tmp],
        check=True,
        stdout=sys.stderr,
    )
    wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
    if len(wheels) != 1:
        die("expected one wheel in %s, found %r" % (tmp, os.listdir(tmp)))
    with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as z:
        z.extractall(os.path.join(tmp, "wheel"))
    return os.path.join(tmp, "wheel", "fhir", "resources")


def parse(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), filename=path)


def read_fhirtypes(src):
    """Map fhirtypes class names to what they denote.

    Returns (primitives, prim_classes, model_classes):
      primitives: FHIR_PRIMITIVES, the lowerCamel primitive type codes
      prim_classes: e.g. "Code" -> "code" (from __visit_name__)
      model_classes: e.g. "ObservationComponentType" -> "ObservationComponent"
                     (from __resource_type__)
    """
    tree = parse(os.path.join(src, "fhirtypes.py"))
    primitives = None
    prim_classes, model_classes = {}, {}

    def class_attr(cls, attr):
        for stmt in ast.walk(cls):
            targets = []
            if isinstance(stmt, ast.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets = [stmt.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id == attr:
                    if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                        return stmt.value.value
        return None

    def record(table, name, value):
        if name in table and table[name] != value:
            sys.stderr.write("warning: fhirtypes.%s defined twice; using the later one\n" % name)
        table[name] = value

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "FHIR_PRIMITIVES" for t in node.targets
        ):
            primitives = [e.value for e in node.value.elts]
        if isinstance(node, ast.ClassDef):
            visit = class_attr(node, "__visit_name__")
            rtype = class_attr(node, "__resource_type__")
            if visit:
                record(prim_classes, node.name, visit)
            elif rtype:
                record(model_classes, node.name, rtype)
    if not primitives:
        die("FHIR_PRIMITIVES not found in fhirtypes.py")
    for name, code in prim_classes.items():
        if code not in primitives:
            die("fhirtypes.%s has __visit_name__ %r outside FHIR_PRIMITIVES" % (name, code))
    return primitives, prim_classes, model_classes


class Field:
    def __init__(self, name, alias, annotation, one_of_many, element_property):
        self.name = name
        self.alias = alias
        self.annotation = annotation  # ast node
        self.one_of_many = one_of_many
        self.element_property = element_property


class Cls:
    def __init__(self, name, file, base, rtype, fields, sequence, top):
        self.name = name  # pydantic class name
        self.file = file
        self.base = base  # pydantic base class name
        self.rtype = rtype  # resource_type const
        self.fields = fields  # alias -> Field (own, real elements only)
        self.sequence = sequence  # elements_sequence()
        self.top = top  # first class of its module (not a backbone)
        self.fhir_name = rtype if top else None


def kw_value(call, name):
    for k in call.keywords:
        if k.arg == name:
            if isinstance(k.value, ast.Constant):
                return k.value.value
            return ast.unparse(k.value)
    return None


def read_classes(src):
    classes = {}
    for fname in sorted(os.listdir(src)):
        if not fname.endswith(".py") or fname in SKIP_FILES:
            continue
        tree = parse(os.path.join(src, fname))
        first = True
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            if len(node.bases) != 1:
                die("%s: class %s has %d bases" % (fname, node.name, len(node.bases)))
            base = node.bases[0]
            base = base.attr if isinstance(base, ast.Attribute) else ast.unparse(base)
            rtype, sequence, fields = None, None, {}
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and isinstance(stmt.targets[0], ast.Name)
                    and stmt.targets[0].id == "resource_type"
                ):
                    rtype = stmt.value.args[0].value
                elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Call):
                    fname_ = stmt.target.id
                    call = stmt.value
                    alias = kw_value(call, "alias")
                    if fname_.endswith("__ext") or (alias or "").startswith("_"):
                        continue  # primitive extension carrier `_xxx`
                    if not kw_value(call, "element_property"):
                        sys.stderr.write(
                            "warning: %s.%s is not an element_property; skipped\n" % (node.name, fname_)
                        )
                        continue
                    fields[alias] = Field(
                        fname_, alias, stmt.annotation, kw_value(call, "one_of_many"), True
                    )
                elif isinstance(stmt, ast.FunctionDef) and stmt.name == "elements_sequence":
                    ret = [s for s in ast.walk(stmt) if isinstance(s, ast.Return)]
                    sequence = [e.value for e in ret[0].value.elts]
            if rtype is None or sequence is None:
                die("%s: class %s lacks resource_type or elements_sequence" % (fname, node.name))
            if rtype != node.name:
                die("%s: class %s has resource_type %r" % (fname, node.name, rtype))
            if first and node.name.lower() != fname[:-3]:
                die("%s: first class %s does not match the module name" % (fname, node.name))
            if node.name in classes:
                die("class %s defined twice" % node.name)
            classes[node.name] = Cls(node.name, fname, base, rtype, fields, sequence, first)
            first = False
    return classes


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    src = obtain_sources()
    primitives, prim_classes, model_classes = read_fhirtypes(src)
    classes = read_classes(src)
    unmapped = []

    def ancestors(cls):
        chain = []
        while cls.base in classes:
            cls = classes[cls.base]
            chain.append(cls)
        return chain

    def resolve(owner, field):
        """Return (pydantic-or-primitive type, is_list, is_model) for a field."""
        ann = field.annotation
        is_list = False

        def unwrap(a):
            # typing.Optional[X] / typing.Union[X, None]
            if isinstance(a, ast.Subscript):
                head = ast.unparse(a.value)
                if head in ("typing.Optional", "Optional"):
                    return unwrap(a.slice)
                if head in ("typing.Union", "Union") and isinstance(a.slice, ast.Tuple):
                    rest = [e for e in a.slice.elts if ast.unparse(e) != "None"]
                    if len(rest) == 1:
                        return unwrap(rest[0])
            return a

        ann = unwrap(ann)
        if isinstance(ann, ast.Subscript) and ast.unparse(ann.value) in ("typing.List", "List"):
            is_list = True
            ann = unwrap(ann.slice)
        text = ast.unparse(ann)
        if text in PLAIN_ANNOTATIONS:
            return PLAIN_ANNOTATIONS[text], is_list, False
        if isinstance(ann, ast.Attribute) and ast.unparse(ann.value) == "fhirtypes":
            if ann.attr in prim_classes:
                return prim_classes[ann.attr], is_list, False
            if ann.attr in model_classes:
                target = model_classes[ann.attr]
                if target in classes:
                    return target, is_list, True
        unmapped.append("%s.%s: %s" % (owner.name, field.alias, ast.unparse(field.annotation)))
        return None, is_list, False

    # Resolve every own field once.
    resolved = {}  # (class, alias) -> (type, list, is_model)
    for cls in classes.values():
        for alias, field in cls.fields.items():
            resolved[(cls.name, alias)] = resolve(cls, field)

    # Name backbone classes by their FHIR path: depth-first over each top-level
    # type's elements in specification order; the first use wins, which is the
    # FHIR definition (later uses are contentReferences to it).
    def own_order(cls):
        inherited = set()
        for a in ancestors(cls):
            inherited.update(a.fields)
        for alias in cls.fields:
            if alias not in cls.sequence:
                die("%s.%s missing from elements_sequence" % (cls.name, alias))
        for name in cls.sequence:
            if name in cls.fields and name in inherited:
                die("%s redeclares inherited element %s" % (cls.name, name))
            if name not in cls.fields and name not in inherited:
                die("%s: elements_sequence names undeclared %s" % (cls.name, name))
        return [n for n in cls.sequence if n in cls.fields and n not in inherited]

    def walk(cls, path):
        for alias in own_order(cls):
            target, _, is_model = resolved[(cls.name, alias)]
            if not is_model:
                continue
            t = classes[target]
            if t.top or t.fhir_name is not None:
                continue
            if t.file != cls.file:
                die("backbone %s (%s) used from %s" % (t.name, t.file, cls.file))
            t.fhir_name = path + "." + alias
            walk(t, t.fhir_name)

    for cls in classes.values():
        if cls.top:
            walk(cls, cls.fhir_name)
    notes = []
    for cls in classes.values():
        if cls.fhir_name is None:
            die("backbone class %s is not used by any element" % cls.name)
        if not cls.top:
            camel = "".join(p[0].upper() + p[1:] for p in cls.fhir_name.split("."))
            if camel != cls.name:
                notes.append("%s named %s" % (cls.name, cls.fhir_name))

    def fhir(type_name):
        return classes[type_name].fhir_name if type_name in classes else type_name

    # Kinds.
    def kind_of(cls):
        if not cls.top:
            return "Backbone"
        chain = [cls.name] + [a.name for a in ancestors(cls)]
        if "Resource" in chain:
            return "Resource"
        if "Element" in chain:
            return "Complex"
        die("cannot classify %s (bases %r)" % (cls.name, chain))

    types = {}  # name -> (kind, base, elements)
    for p in primitives:
        types[p] = ("Primitive", None, [])
    n_choice = 0
    for cls in classes.values():
        base = fhir(cls.base) if cls.base in classes else None
        elements = []
        groups = {}
        for alias in own_order(cls):
            field = cls.fields[alias]
            target, is_list, _ = resolved[(cls.name, alias)]
            code = fhir(target) if target else "?"
            if field.one_of_many:
                prefix = field.one_of_many
                if not alias.startswith(prefix) or is_list:
                    die("%s.%s: odd choice member of %s" % (cls.name, alias, prefix))
                if prefix not in groups:
                    groups[prefix] = [prefix, [], False]
                    elements.append(groups[prefix])
                    n_choice += 1
                groups[prefix][1].append(code)
            else:
                elements.append([alias, [code], is_list])
        if cls.fhir_name in types:
            die("type %s defined twice" % cls.fhir_name)
        types[cls.fhir_name] = (kind_of(cls), base, elements)
    for extra in EXTRA_QUANTITY_PROFILES:
        if extra in types:
            die("%s is already modelled" % extra)
        types[extra] = ("Complex", "Quantity", [])

    # Consistency: every referenced type and base must be defined.
    missing = set()
    for name, (kind, base, elements) in types.items():
        if base is not None and base not in types:
            missing.add("%s (base of %s)" % (base, name))
        for ename, codes, _ in elements:
            for c in codes:
                if c not in types:
                    missing.add("%s (in %s.%s)" % (c, name, ename))
    if missing or unmapped:
        for m in sorted(missing):
            sys.stderr.write("undefined type: %s\n" % m)
        for u in unmapped:
            sys.stderr.write("unmapped field: %s\n" % u)
        die("%d undefined types, %d unmapped fields" % (len(missing), len(unmapped)))

    # Emit.
    lines = [
        "//! FHIR R4 (4.0.1) types and elements, generated by `tools/fhir-model/generate.py`",
        "//! from fhir.resources 6.4.0 (itself generated from the CC0 FHIR specification). Do not edit.",
        "",
        "use super::{Element, Kind, TypeDef};",
        "",
        "/// Every R4 type, sorted by name (byte order) for binary search.",
        "pub static TYPES: &[TypeDef] = &[",
    ]

    def q(s):
        assert all(c.isalnum() or c in "._" for c in s), s
        return '"%s"' % s

    for name in sorted(types):
        kind, base, elements = types[name]
        head = "    TypeDef { name: %s, kind: Kind::%s, base: %s, elements: &[" % (
            q(name),
            kind,
            "Some(%s)" % q(base) if base else "None",
        )
        if not elements:
            lines.append(head + "] },")
            continue
        lines.append(head)
        for ename, codes, is_list in elements:
            lines.append(
                "        Element { name: %s, types: &[%s], list: %s },"
                % (q(ename), ", ".join(q(c) for c in codes), "true" if is_list else "false")
            )
        lines.append("    ] },")
    lines.append("];")
    text = "\n".join(lines) + "\n"
    if out_path:
        with open(out_path, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)

    # Summary.
    per_kind = {}
    for kind, _, _ in types.values():
        per_kind[kind] = per_kind.get(kind, 0) + 1
    n_el = sum(len(e) for _, _, e in types.values())
    sys.stderr.write(
        "types: %d (%s); elements: %d (%d choice); unmapped fields: %d\n"
        % (
            len(types),
            ", ".join("%s %d" % (k, per_kind[k]) for k in ("Primitive", "Complex", "Resource", "Backbone")),
            n_el,
            n_choice,
            len(unmapped),
        )
    )
    for n in notes:
        sys.stderr.write("note: %s\n" % n)


if __name__ == "__main__":
    main()
