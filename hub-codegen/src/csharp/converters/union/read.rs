//! `ReadValue`: the variant class of some JSON, by the enum's representation.

use super::converter::{UnionConverter, is_unit, read_fn};
use super::json_kinds::json_kinds;
use crate::csharp::classes::{Case, CaseData};
use crate::csharp::code::{Code, literal};
use crate::model::TypeKind;

impl UnionConverter<'_> {
    /// `ReadValue`, which the overrides and the variant converters call.
    pub(super) fn read_value(&self, code: &mut Code) {
        code.line(format!(
            "internal static {} ReadValue({} json, {} options)",
            self.base, self.element, self.options
        ));
        code.open();
        match &self.def.kind {
            TypeKind::External(_) => self.read_external(code),
            TypeKind::Internal { tag, .. } => self.read_tagged(code, tag, None),
            TypeKind::Adjacent { tag, content, .. } => self.read_tagged(code, tag, Some(content)),
            TypeKind::Untagged(_) => self.read_untagged(code),
            _ => unreachable!("a union is an enum with data"),
        }
        code.close();
    }

    /// Externally tagged: a unit variant's name as a string, or an object whose only property
    /// is the variant.
    fn read_external(&self, code: &mut Code) {
        let units: Vec<&Case<'_>> = self.cases.iter().filter(|case| is_unit(case)).collect();
        if !units.is_empty() {
            self.read_unit_name(code, &units);
        }
        self.read_only_property(code, !units.is_empty());
        code.line("switch (variant)");
        code.open();
        for case in self.cases {
            code.line(format!("case {}:", literal(&case.variant.name)));
            if let CaseData::Unit = case.data {
                code.line(format!(
                    "    {}.Expect(data, {}.Null, {});",
                    self.helper,
                    self.kind,
                    self.what(case)
                ));
                code.line(format!("    return new {}();", self.variant_class(case)));
            } else {
                code.line(format!("    return {}(data, options);", read_fn(case)));
            }
        }
        code.close();
        self.unknown(code, "variant");
    }

    /// A string: the name of one of the unit variants `units`.
    fn read_unit_name(&self, code: &mut Code, units: &[&Case<'_>]) {
        code.line(format!("if (json.ValueKind == {}.String)", self.kind));
        code.open();
        code.line("string name = json.GetString();");
        code.line("switch (name)");
        code.open();
        for case in units {
            code.line(format!("case {}:", literal(&case.variant.name)));
            code.line(format!("    return new {}();", self.variant_class(case)));
        }
        code.close();
        self.unknown(code, "name");
        code.close();
    }

    /// Anything else: an object with exactly one property, read into `variant` (its name) and
    /// `data` (its value). `or_string`: a string was possible too.
    fn read_only_property(&self, code: &mut Code, or_string: bool) {
        let (element, exception) = (&self.element, &self.exception);
        code.line(format!("if (json.ValueKind != {}.Object)", self.kind));
        code.open();
        code.line(format!(
            "throw new {exception}({} + json.ValueKind + \".\");",
            literal(&format!(
                "{}: expected {}an object with one property (the variant), got ",
                self.def.name,
                if or_string { "a string or " } else { "" }
            ))
        ));
        code.close();
        code.line("string variant = null;");
        code.line(format!("{element} data = default({element});"));
        code.line("int count = 0;");
        code.line(format!(
            "foreach ({} property in json.EnumerateObject())",
            self.ctx.fw("JsonProperty", &self.scope)
        ));
        code.open();
        code.line("variant = property.Name;");
        code.line("data = property.Value;");
        code.line("count++;");
        code.close();
        code.line("if (count != 1)");
        code.open();
        code.line(format!(
            "throw new {exception}({} + count + \".\");",
            literal(&format!(
                "{}: expected an object with one property (the variant), got properties: ",
                self.def.name
            ))
        ));
        code.close();
    }

    /// Internally tagged (no `content`: the data sits beside the tag) or adjacently tagged (the
    /// data is in `content`): the tag names the variant.
    fn read_tagged(&self, code: &mut Code, tag: &str, content: Option<&str>) {
        let helper = &self.helper;
        code.line(format!(
            "string tag = {helper}.Tag(json, {}, {});",
            literal(tag),
            literal(&self.def.name)
        ));
        code.line("switch (tag)");
        code.open();
        for case in self.cases {
            let what = self.what(case);
            code.line(format!("case {}:", literal(&case.variant.name)));
            match (&case.data, content) {
                (CaseData::Unit, Some(content)) => {
                    code.line(format!(
                        "    {helper}.NoData(json, {}, {what});",
                        literal(content)
                    ));
                    code.line(format!("    return new {}();", self.variant_class(case)));
                }
                (CaseData::Unit, None) => {
                    code.line(format!("    return new {}();", self.variant_class(case)));
                }
                (_, Some(content)) => code.line(format!(
                    "    return {}({helper}.Required(json, {}, {what}), options);",
                    read_fn(case),
                    literal(content)
                )),
                (_, None) => code.line(format!("    return {}(json, options);", read_fn(case))),
            }
        }
        code.close();
        self.unknown(code, "tag");
    }

    /// Untagged: the first variant, in order, that the JSON deserializes to.
    fn read_untagged(&self, code: &mut Code) {
        code.line("// serde's rule: the first variant, in order, that the JSON deserializes to.");
        for case in self.cases {
            self.try_variant(code, case);
        }
        code.line(format!(
            "throw new {}({} + json.ValueKind + \").\");",
            self.exception,
            literal(&format!(
                "{}: the JSON matches none of the variants (JSON kind ",
                self.def.name
            ))
        ));
    }

    /// Returns `case` if the JSON is of a kind its data can be and reads as it.
    fn try_variant(&self, code: &mut Code, case: &Case<'_>) {
        let condition = json_kinds(self.ctx, case).map(|kinds| {
            kinds
                .iter()
                .map(|k| format!("json.ValueKind == {}.{k}", self.kind))
                .collect::<Vec<_>>()
                .join(" || ")
        });
        if let CaseData::Unit = case.data {
            code.line(format!("if ({})", condition.expect("unit is null")));
            code.open();
            code.line(format!("return new {}();", self.variant_class(case)));
            code.close();
            return;
        }
        if let Some(condition) = &condition {
            code.line(format!("if ({condition})"));
            code.open();
        }
        code.line("try");
        code.open();
        code.line(format!("return {}(json, options);", read_fn(case)));
        code.close();
        code.line(format!("catch ({})", self.exception));
        code.open();
        code.line("// Not this variant: try the next one.");
        code.close();
        if condition.is_some() {
            code.close();
        }
    }
}
