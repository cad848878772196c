{{ config(materialized='view') }}
-- depends_on: {{ ref('cde_list_layouts') }}, {{ ref('stg_reference__title_i_status') }}, {{ ref('essa_status_codes') }}
{{ cde_essa_list(2022) }}
